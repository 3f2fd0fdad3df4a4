/* main.c - leakfleet-agent: scrapes local Go services and pushes their goroutine
 * profiles to the leakfleet server, spooling to disk while it is away. */
#include <stdio.h>

int main(int argc, char **argv)
{
    (void)argv;
    if (argc < 2) {
        fputs("usage: leakfleet-agent --server URL --token TOKEN --service NAME --target URL\n",
                stderr);
        return 2;
    }
    return 0;
}

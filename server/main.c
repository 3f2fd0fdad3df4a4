/* main.c - the leakfleet command: dispatches to serve, analyze and classify, and turns
 * error codes into exit statuses (the one table of them). Nothing below main.c exits. */
#include <stdio.h>
#include <string.h>

#include "error.h"

static const char usage[] =
        "usage: leakfleet COMMAND [OPTIONS]\n"
        "\n"
        "commands:\n"
        "  serve      run the collection server and dashboard\n"
        "  analyze    list the blocked locations of one goroutine profile\n"
        "  classify   sort the stacks of one profile into classes by rules\n"
        "\n"
        "`leakfleet COMMAND --help` describes each command.\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
            strcmp(argv[1], "help") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    fprintf(stderr, "leakfleet: unknown command '%s'\n%s", argv[1], usage);
    return 2;
}

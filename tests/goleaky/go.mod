module github.com/acme/leaky

go 1.19

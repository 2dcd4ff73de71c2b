module github.com/dataplatform/dev/watchdog

go 1.22

package main

import (
	_ "github.com/grafana/grafana-plugin-sdk-go/backend/datasource"
)

func main() {}

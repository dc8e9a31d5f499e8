// Command employments is the Lambda function serving the employments routes of the HTTP API.
package main

import (
	"github.com/personsapi/persons/pkg/api"
	"github.com/personsapi/persons/pkg/lambdaapp"
)

func main() { lambdaapp.Main(api.FunctionEmployments) }

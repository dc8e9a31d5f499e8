// Command contacts is the Lambda function serving the contacts routes of the HTTP API.
package main

import (
	"github.com/personsapi/persons/pkg/api"
	"github.com/personsapi/persons/pkg/lambdaapp"
)

func main() { lambdaapp.Main(api.FunctionContacts) }

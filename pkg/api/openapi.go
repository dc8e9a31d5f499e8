package api

import _ "embed"

// OpenAPI is the OpenAPI 3.1 document of the whole API (openapi.json). A test keeps its
// operations identical to Routes().
//
//go:embed openapi.json
var OpenAPI []byte

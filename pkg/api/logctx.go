package api

// TracerName names the tracer of the request spans.
const TracerName = "github.com/personsapi/persons/pkg/api"

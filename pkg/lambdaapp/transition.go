package lambdaapp

import "github.com/personsapi/persons/pkg/deploy"

// The names scripts/serve still reads from here. It moves to package deploy when the
// branches meet; delete this file then.
const (
	TableEnv = deploy.EnvTableName
	CORSEnv  = deploy.EnvCORSOrigins
)

"""The ground floor: helpers every app may import (domain errors, pagination, env, rate limits,
security headers). Imports no app."""

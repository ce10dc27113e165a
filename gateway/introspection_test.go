package gateway_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// standardIntrospection is graphql-js 16's getIntrospectionQuery(), which GraphiQL,
// graphql-codegen, Apollo Rover and Postman send: 13 levels deep through TypeRef.
const standardIntrospection = `
    query IntrospectionQuery {
      __schema {
        queryType { name }
        mutationType { name }
        subscriptionType { name }
        types {
          ...FullType
        }
        directives {
          name
          description
          locations
          args {
            ...InputValue
          }
        }
      }
    }

    fragment FullType on __Type {
      kind
      name
      description
      fields(includeDeprecated: true) {
        name
        description
        args {
          ...InputValue
        }
        type {
          ...TypeRef
        }
        isDeprecated
        deprecationReason
      }
      inputFields {
        ...InputValue
      }
      interfaces {
        ...TypeRef
      }
      enumValues(includeDeprecated: true) {
        name
        description
        isDeprecated
        deprecationReason
      }
      possibleTypes {
        ...TypeRef
      }
    }

    fragment InputValue on __InputValue {
      name
      description
      type { ...TypeRef }
      defaultValue
    }

    fragment TypeRef on __Type {
      kind
      name
      ofType {
        kind
        name
        ofType {
          kind
          name
          ofType {
            kind
            name
            ofType {
              kind
              name
              ofType {
                kind
                name
                ofType {
                  kind
                  name
                  ofType {
                    kind
                    name
                    ofType {
                      kind
                      name
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  `

// TestStandardIntrospectionQueryPasses: with introspection on (the sandbox's default) the
// standard query passes the depth (12 for data) and complexity bounds, with no viewer: schema
// tools fetch from the URL without the development header.
func TestStandardIntrospectionQueryPasses(t *testing.T) {
	_, srv := newEmbedded(t)
	h := &harness{t: t, srv: srv}
	status, res := h.raw(nil, gqlBody(standardIntrospection, nil))
	assert.Equal(t, 200, status)
	for _, e := range res.Errors {
		assert.NotEqual(t, "COMPLEXITY_LIMIT_EXCEEDED", e.Extensions["code"])
	}
	require.Empty(t, res.Errors)
	var out struct {
		Schema struct {
			QueryType struct{ Name string }
			Types     []struct{ Name string }
		} `json:"__schema"`
	}
	require.NoError(t, json.Unmarshal(res.Data, &out))
	assert.Equal(t, "Query", out.Schema.QueryType.Name)
	assert.Greater(t, len(out.Schema.Types), 30)

	status, res = h.raw(nil, gqlBody(`{ viewer { id } }`, nil))
	assert.Equal(t, 401, status, "data still needs a viewer")
	assert.Equal(t, "UNAUTHENTICATED", res.Errors[0].Extensions["code"])
	status, _ = h.raw(nil, gqlBody(`{ __schema { queryType { name } } viewer { id } }`, nil))
	assert.Equal(t, 401, status, "introspection beside data needs a viewer too")

	status, res = h.raw(nil, gqlBody(`{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType {
		ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } } } } } } }`, nil))
	assert.Equal(t, 200, status)
	require.NotEmpty(t, res.Errors)
	assert.Equal(t, "INTROSPECTION_TOO_DEEP", res.Errors[0].Extensions["code"], "introspection has a bound of its own")
}

package events

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSplitObjectAgreesWithEncodingJSON checks the member scanner against
// encoding/json on objects whose strings hold the characters it looks for.
func TestSplitObjectAgreesWithEncodingJSON(t *testing.T) {
	for _, doc := range []string{
		`{}`,
		` { "a" : 1 , "b":"x" } `,
		`{"s":"brace } and bracket ] and comma , inside","n":-1.5e3,"t":true,"f":false,"z":null}`,
		`{"esc":"a \"quoted\" \\ backslash","u":"caf\u00e9","k\"ey":"v"}`,
		`{"nested":{"a":[1,{"b":"}"}],"c":"]"},"list":[[],[[]],"x"],"after":"ok"}`,
		`{"dup":"first","dup":"second"}`,
		"{\n\t\"tab\":\t\"x\"\n}",
	} {
		t.Run(doc, func(t *testing.T) {
			require.True(t, json.Valid([]byte(doc)))
			fields := splitObject([]byte(doc), nil)
			require.NotNil(t, fields)

			var want map[string]json.RawMessage
			require.NoError(t, json.Unmarshal([]byte(doc), &want))
			got := map[string]string{}
			for _, f := range fields {
				got[f.key] = string(f.raw) // the last repeated key wins, as in encoding/json
			}
			require.Len(t, got, len(want))
			for k, v := range want {
				require.JSONEq(t, string(v), got[k], k)
			}
		})
	}
	require.Nil(t, splitObject([]byte(`[1]`), nil))
	require.Nil(t, splitObject([]byte(`"s"`), nil))
}

package events

import "encoding/json"

// field is one top-level member of a JSON object: its key and the raw bytes
// of its value.
type field struct {
	key string
	raw []byte
}

// splitObject lists the top-level members of a JSON object, appending to
// fields, without decoding the values. It returns nil when data is not an
// object. data must be valid JSON (json.Valid), so the scan only has to find
// where each value ends.
func splitObject(data []byte, fields []field) []field {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return nil
	}
	i = skipSpace(data, i+1)
	if data[i] == '}' {
		if fields == nil {
			fields = []field{}
		}
		return fields
	}
	for {
		end := stringEnd(data, i)
		key, ok := knownKey(data[i+1 : end-1])
		if !ok {
			_ = json.Unmarshal(data[i:end], &key)
		}
		i = skipSpace(data, end)
		i = skipSpace(data, i+1) // past the colon
		end = valueEnd(data, i)
		fields = append(fields, field{key: key, raw: data[i:end]})
		i = skipSpace(data, end)
		if data[i] == '}' {
			return fields
		}
		i = skipSpace(data, i+1) // past the comma
	}
}

func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// stringEnd returns the index just past the string that starts at i.
func stringEnd(data []byte, i int) int {
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(data)
}

// valueEnd returns the index just past the value that starts at i.
func valueEnd(data []byte, i int) int {
	switch data[i] {
	case '"':
		return stringEnd(data, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(data); j++ {
			switch data[j] {
			case '"':
				j = stringEnd(data, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(data)
	}
	j := i
	for j < len(data) {
		switch data[j] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return j
		}
		j++
	}
	return j
}

// knownKey returns the field names of the contract as constants, so that
// reading a key allocates nothing; other keys are decoded by the caller.
func knownKey(b []byte) (string, bool) {
	switch string(b) {
	case "kind":
		return "kind", true
	case "id":
		return "id", true
	case "service":
		return "service", true
	case "team":
		return "team", true
	case "url":
		return "url", true
	case "labels":
		return "labels", true
	case "time":
		return "time", true
	case "commit":
		return "commit", true
	case "opened":
		return "opened", true
	case "merged":
		return "merged", true
	case "title":
		return "title", true
	case "type":
		return "type", true
	case "environment":
		return "environment", true
	case "status":
		return "status", true
	case "changes":
		return "changes", true
	case "commits":
		return "commits", true
	case "model":
		return "model", true
	case "model_version":
		return "model_version", true
	case "rollback":
		return "rollback", true
	case "resolved":
		return "resolved", true
	case "deployment":
		return "deployment", true
	case "severity":
		return "severity", true
	case "end":
		return "end", true
	case "experiment":
		return "experiment", true
	case "name":
		return "name", true
	}
	return "", false
}

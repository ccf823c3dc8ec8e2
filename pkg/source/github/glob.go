package github

import (
	"path"
	"strings"
)

// checkGlob reports a syntax error in a path glob.
func checkGlob(glob string) error {
	for _, seg := range strings.Split(glob, "/") {
		if seg == "**" {
			continue
		}
		if _, err := path.Match(seg, ""); err != nil {
			return err
		}
	}
	return nil
}

// matchGlob matches a slash-separated file path against a glob in which
// "**" stands for any number of directories, including none, and every
// other segment follows path.Match.
func matchGlob(glob, name string) bool {
	return matchSegments(strings.Split(strings.Trim(glob, "/"), "/"), strings.Split(name, "/"))
}

func matchSegments(glob, name []string) bool {
	for len(glob) > 0 {
		if glob[0] == "**" {
			for i := 0; i <= len(name); i++ {
				if matchSegments(glob[1:], name[i:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		if ok, _ := path.Match(glob[0], name[0]); !ok {
			return false
		}
		glob, name = glob[1:], name[1:]
	}
	return len(name) == 0
}

// servicesOf returns the services, with their teams, whose globs match any
// of files, in the order of the mapping.
func servicesOf(paths []PathService, files []string) []PathService {
	var out []PathService
	for _, p := range paths {
	match:
		for _, f := range files {
			for _, g := range p.Globs {
				if matchGlob(g, f) {
					out = append(out, p)
					break match
				}
			}
		}
	}
	return out
}

package insight

import "gopkg.in/yaml.v3"

// HasGoal says whether a flow's source declares a goal: its journeys then convert by reaching it,
// and the others by a counted order within the report's window.
func HasGoal(source []byte) bool {
	var f struct {
		Goal yaml.Node `yaml:"goal"`
	}
	if err := yaml.Unmarshal(source, &f); err != nil {
		return false
	}
	return f.Goal.Kind == yaml.MappingNode || f.Goal.Kind == yaml.ScalarNode && f.Goal.Tag != "!!null"
}

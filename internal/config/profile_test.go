package config

import "testing"

func TestProfileByNameHasLocal(t *testing.T) {
	t.Parallel()
	if p, ok := (&Config{}).ProfileByName(LocalProfile); !ok || p.Name != LocalProfile || p.Kernel != "" {
		t.Errorf("built-in local profile: %+v, %v", p, ok)
	}
	if _, ok := (&Config{}).ProfileByName("rescue"); ok {
		t.Error("an undefined profile was found")
	}
}

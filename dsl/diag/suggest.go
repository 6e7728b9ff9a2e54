package diag

import "strings"

// DidYouMean returns ` (did you mean "x"?)` when a candidate is a near miss of word, else "".
// A near miss is within a third of the word's length in edits, so "chanel" finds "channel" but
// "sms" does not find "email".
func DidYouMean(word string, candidates []string) string {
	if s := Closest(word, candidates); s != "" {
		return ` (did you mean "` + s + `"?)`
	}
	return ""
}

// Closest returns the candidate nearest to word when it is a near miss, else "".
func Closest(word string, candidates []string) string {
	best, bestDist := "", -1
	limit := len(word)/3 + 1
	lw := strings.ToLower(word)
	for _, c := range candidates {
		if c == word {
			continue
		}
		d := distance(lw, strings.ToLower(c))
		if d > limit || bestDist >= 0 && d > bestDist {
			continue
		}
		// Of candidates as near, the one that starts like the word wins: "lenght" means "len",
		// not "bought".
		if bestDist < 0 || d < bestDist || prefix(lw, c) > prefix(lw, best) || prefix(lw, c) == prefix(lw, best) && c < best {
			best, bestDist = c, d
		}
	}
	return best
}

// prefix is the length of the prefix word and candidate c share, ignoring case.
func prefix(word, c string) int {
	c = strings.ToLower(c)
	n := 0
	for n < len(word) && n < len(c) && word[n] == c[n] {
		n++
	}
	return n
}

// distance is the optimal-string-alignment edit distance, so a swap of two letters counts once.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

package sandbox

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// userRecord is a sys_user record as the OData API writes it.
func userRecord(u *user) map[string]any {
	return map[string]any{
		"_id": u.ID, "createdAt": u.CreatedAt.UnixMilli(), "updatedAt": u.UpdatedAt.UnixMilli(),
		"createBy": "administrator", "updateBy": "administrator", "name": u.Name, "type": u.Type,
		"internal_user_type": u.InternalUserType, "uin": nil, "sub_uin": nil, "uuid": "sb_" + u.ID[len(u.ID)-6:],
		"open_id": nil, "user_desc": u.Desc, "nick_name": nullIfEmpty(u.NickName), "env_id": "lowcode-sandbox",
		"project_id": nil, "corp_id": nil, "source": 1, "wechat_user_id": nil, "email": u.Email, "phone": u.Phone,
	}
}

// odataList answers GET sys_user with $filter, $orderby, $skip, $top and $count.
func (e *engine) odataList(q url.Values) (map[string]any, *apiError) {
	var pred predicate = func(map[string]any) bool { return true }
	if f := q.Get("$filter"); f != "" {
		p, err := parseFilter(f)
		if err != nil {
			return nil, &apiError{400, "InvalidParameter", "$filter: " + err.Error()}
		}
		pred = p
	}
	top, skip := 100, 0
	for name, dst := range map[string]*int{"$top": &top, "$skip": &skip} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || (name == "$top" && n > 1000) {
				return nil, &apiError{400, "InvalidParameterValue", fmt.Sprintf("%s=%q: want a whole number (at most 1000 for $top)", name, v)}
			}
			*dst = n
		}
	}
	var rows []map[string]any
	for _, u := range e.users {
		if r := userRecord(u); pred(r) {
			rows = append(rows, r)
		}
	}
	if ob := q.Get("$orderby"); ob != "" {
		field, dir, _ := strings.Cut(strings.TrimSpace(ob), " ")
		dir = strings.ToLower(strings.TrimSpace(dir))
		if dir != "" && dir != "asc" && dir != "desc" {
			return nil, &apiError{400, "InvalidParameterValue", "$orderby: direction must be asc or desc"}
		}
		slices.SortStableFunc(rows, func(a, b map[string]any) int {
			c := compareValues(a[field], b[field])
			if dir == "desc" {
				return -c
			}
			return c
		})
	}
	out := map[string]any{"@odata.context": "$metadata#sys_user"}
	if q.Get("$count") == "true" {
		out["@odata.count"] = len(rows)
	}
	page := rows[min(skip, len(rows)):]
	page = page[:min(top, len(page))]
	if page == nil {
		page = []map[string]any{}
	}
	out["value"] = page
	return out, nil
}

type predicate func(map[string]any) bool

// filterParser is a recursive-descent parser for the OData subset WeDa documents:
// eq ne gt lt ge le, contains(field,'x'), and / or / not, parentheses.
type filterParser struct {
	toks []string
	pos  int
}

func parseFilter(s string) (predicate, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	p := &filterParser{toks: toks}
	pred, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("unexpected %q", p.toks[p.pos])
	}
	return pred, nil
}

func (p *filterParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *filterParser) next() string {
	t := p.peek()
	p.pos++
	return t
}

func (p *filterParser) expect(tok string) error {
	if got := p.next(); got != tok {
		return fmt.Errorf("want %q, got %q", tok, got)
	}
	return nil
}

func (p *filterParser) or() (predicate, error) {
	return p.chain("or", p.and, func(l, r predicate) predicate {
		return func(m map[string]any) bool { return l(m) || r(m) }
	})
}

func (p *filterParser) and() (predicate, error) {
	return p.chain("and", p.unary, func(l, r predicate) predicate {
		return func(m map[string]any) bool { return l(m) && r(m) }
	})
}

// chain parses operands joined by the word, left to right.
func (p *filterParser) chain(word string, operand func() (predicate, error), join func(l, r predicate) predicate) (predicate, error) {
	left, err := operand()
	if err != nil {
		return nil, err
	}
	for strings.EqualFold(p.peek(), word) {
		p.next()
		right, err := operand()
		if err != nil {
			return nil, err
		}
		left = join(left, right)
	}
	return left, nil
}

func (p *filterParser) unary() (predicate, error) {
	if strings.EqualFold(p.peek(), "not") {
		p.next()
		inner, err := p.unary()
		if err != nil {
			return nil, err
		}
		return func(r map[string]any) bool { return !inner(r) }, nil
	}
	if p.peek() == "(" {
		p.next()
		inner, err := p.or()
		if err != nil {
			return nil, err
		}
		return inner, p.expect(")")
	}
	field := p.next()
	if !isIdent(field) {
		return nil, fmt.Errorf("want a field name, got %q", field)
	}
	if strings.EqualFold(field, "contains") && p.peek() == "(" {
		return p.contains()
	}
	return p.comparison(field)
}

// contains parses the rest of contains(field,'x'), its opening parenthesis next.
func (p *filterParser) contains() (predicate, error) {
	p.next()
	f := p.next()
	if err := p.expect(","); err != nil {
		return nil, err
	}
	lit, err := literal(p.next())
	if err != nil {
		return nil, err
	}
	if err := p.expect(")"); err != nil {
		return nil, err
	}
	needle := fmt.Sprint(lit)
	return func(r map[string]any) bool {
		s, ok := r[f].(string)
		return ok && strings.Contains(s, needle)
	}, nil
}

// comparison parses the rest of "field op literal", the operator next.
func (p *filterParser) comparison(field string) (predicate, error) {
	op := strings.ToLower(p.next())
	lit, err := literal(p.next())
	if err != nil {
		return nil, err
	}
	var test func(c int) bool
	switch op {
	case "eq":
		test = func(c int) bool { return c == 0 }
	case "ne":
		test = func(c int) bool { return c != 0 }
	case "gt":
		test = func(c int) bool { return c > 0 }
	case "lt":
		test = func(c int) bool { return c < 0 }
	case "ge":
		test = func(c int) bool { return c >= 0 }
	case "le":
		test = func(c int) bool { return c <= 0 }
	default:
		return nil, fmt.Errorf("unknown operator %q", op)
	}
	return func(r map[string]any) bool { return test(compareValues(r[field], lit)) }, nil
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '.' {
			return false
		}
	}
	return true
}

// literal reads 'text' (with ” for a quote), a number, true, false or null.
func literal(tok string) (any, error) {
	switch {
	case strings.HasPrefix(tok, "'"):
		return strings.ReplaceAll(tok[1:len(tok)-1], "''", "'"), nil
	case tok == "true" || tok == "false":
		return tok == "true", nil
	case tok == "null":
		return nil, nil
	}
	if n, err := strconv.ParseInt(tok, 10, 64); err == nil {
		return n, nil
	}
	if f, err := strconv.ParseFloat(tok, 64); err == nil {
		return f, nil
	}
	return nil, fmt.Errorf("want a literal, got %q", tok)
}

// compareValues orders record values against literals: numbers numerically, the rest as text;
// null sorts first.
func compareValues(a, b any) int {
	if a == nil || b == nil {
		return cmp.Compare(boolInt(a != nil), boolInt(b != nil))
	}
	if x, ok := toFloat(a); ok {
		if y, ok := toFloat(b); ok {
			return cmp.Compare(x, y)
		}
	}
	return cmp.Compare(fmt.Sprint(a), fmt.Sprint(b))
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

func tokenize(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case c == '(' || c == ')' || c == ',':
			toks = append(toks, string(c))
			i++
		case c == '\'':
			j := i + 1
			for {
				if j >= len(s) {
					return nil, fmt.Errorf("unterminated string at %d", i)
				}
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						j += 2
						continue
					}
					break
				}
				j++
			}
			toks = append(toks, s[i:j+1])
			i = j + 1
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t(),'", rune(s[j])) {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	if len(toks) == 0 {
		return nil, fmt.Errorf("empty filter")
	}
	return toks, nil
}

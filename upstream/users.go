package upstream

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// UserModel is the data model that holds WeDa users.
const UserModel = "sys_user"

// MaxUsersPerBatch bounds the ids in one $filter, keeping the URL well under proxy limits.
const MaxUsersPerBatch = 100

// User is a sys_user record: WeDa OpenAPI [1] 获取用户信息（数据模型的 OpenAPI）.
type User struct {
	ID               ID     `json:"_id"`
	Name             Text   `json:"name"`
	NickName         Text   `json:"nick_name"`
	Email            Text   `json:"email"`
	Phone            Text   `json:"phone"`
	Type             OptInt `json:"type"`   // the vendor's user source: 3 WeCom, 4 internal
	Source           OptInt `json:"source"` // present in answers, undocumented
	InternalUserType OptInt `json:"internal_user_type"`
	UserDesc         Text   `json:"user_desc"`
	UUID             Text   `json:"uuid"`
	Uin              Text   `json:"uin"`
	SubUin           Text   `json:"sub_uin"`
	OpenID           Text   `json:"open_id"`
	CorpID           Text   `json:"corp_id"`
	WechatUserID     Text   `json:"wechat_user_id"`
	EnvID            Text   `json:"env_id"`
	CreatedAt        Time   `json:"createdAt"`
	UpdatedAt        Time   `json:"updatedAt"`
	CreateBy         Text   `json:"createBy"`
	UpdateBy         Text   `json:"updateBy"`
}

// SourceCode is the user's source: the documented "type", else the "source" that some answers
// carry instead.
func (u *User) SourceCode() OptInt {
	if u.Type.Valid {
		return u.Type
	}
	return u.Source
}

// UserQuery holds OData query options for ListUsers.
type UserQuery struct {
	Filter  string // OData $filter, e.g. "contains(name,'li') and type eq 4"
	Top     int    // $top; 0 leaves it to the upstream
	Skip    int    // $skip
	OrderBy string // $orderby, e.g. "createdAt desc"
	Count   bool   // $count=true: ask for the total
}

// UserList is an OData list answer.
type UserList struct {
	Context string `json:"@odata.context"`
	Count   OptInt `json:"@odata.count"`
	Value   []User `json:"value"`
}

// ListUsers queries sys_user with OData options: WeDa OpenAPI [1] 获取用户信息.
func (c *Client) ListUsers(ctx context.Context, q UserQuery) (*UserList, error) {
	v := url.Values{}
	if q.Filter != "" {
		v.Set("$filter", q.Filter)
	}
	if q.Top > 0 {
		v.Set("$top", strconv.Itoa(q.Top))
	}
	if q.Skip > 0 {
		v.Set("$skip", strconv.Itoa(q.Skip))
	}
	if q.OrderBy != "" {
		v.Set("$orderby", q.OrderBy)
	}
	if q.Count {
		v.Set("$count", "true")
	}
	var out UserList
	err := c.do(ctx, call{endpoint: UserModel, method: http.MethodGet, odata: true,
		path: "/weda/odata/v1/" + c.EnvFor(ctx) + "/" + UserModel, query: v}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// GetUser fetches one user by id, an unknown id being an ErrNotFound: WeDa OpenAPI [1] 获取用户信息.
func (c *Client) GetUser(ctx context.Context, id ID) (*User, error) {
	var out User
	err := c.do(ctx, call{endpoint: UserModel, method: http.MethodGet, odata: true,
		path: "/weda/odata/v1/" + c.EnvFor(ctx) + "/" + UserModel + "(" + ODataString(string(id)) + ")"}, &out)
	if err != nil {
		return nil, err
	}
	if out.ID == "" {
		return nil, &Error{Endpoint: UserModel, Kind: KindNotFound, Message: "no user " + string(id)}
	}
	return &out, nil
}

// GetUsersByIDs fetches the users with the given ids in one call per MaxUsersPerBatch ids.
// Unknown ids are simply absent from the answer; duplicates and empty ids are dropped.
func (c *Client) GetUsersByIDs(ctx context.Context, ids []ID) ([]User, error) {
	seen := make(map[ID]bool, len(ids))
	uniq := make([]ID, 0, len(ids))
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			uniq = append(uniq, id)
		}
	}
	var users []User
	for start := 0; start < len(uniq); start += MaxUsersPerBatch {
		chunk := uniq[start:min(start+MaxUsersPerBatch, len(uniq))]
		clauses := make([]string, len(chunk))
		for i, id := range chunk {
			clauses[i] = "_id eq " + ODataString(string(id))
		}
		list, err := c.ListUsers(ctx, UserQuery{Filter: strings.Join(clauses, " or "), Top: len(chunk)})
		if err != nil {
			return nil, err
		}
		users = append(users, list.Value...)
	}
	return users, nil
}

// ODataString quotes s as an OData string literal, doubling the quotes inside:
//
//	it's → 'it''s'
func ODataString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

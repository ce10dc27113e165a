package sandbox

import (
	"cmp"
	"slices"
	"time"
)

// The workbench area: WeDa OpenAPI [12] 根据类型查询流程实例列表 and [13] 根据类型查询流程实例总数.

func listProcessInstances(e *engine, _ string, body []byte) (any, *apiError) {
	var req struct {
		UserInfo *userInfo
		PageType string
		pageQuery
		Sort  string
		Order string
	}
	u, err := e.decodeWithUser(body, &req, &req.UserInfo)
	if err != nil {
		return nil, err
	}
	if req.PageType == "" {
		return nil, missing("PageType")
	}
	if err := oneOf("PageType", req.PageType, pageTypes...); err != nil {
		return nil, err
	}
	if err := oneOf("Sort", req.Sort, "startTime", "updateTime"); err != nil {
		return nil, err
	}
	if err := oneOf("Order", req.Order, "asc", "desc"); err != nil {
		return nil, err
	}
	number, size, err := req.page()
	if err != nil {
		return nil, err
	}
	items := e.box(u.ID, req.PageType)
	key := func(w workItem) time.Time { return w.inst.Start }
	if req.Sort == "updateTime" {
		key = func(w workItem) time.Time { return w.at }
	}
	slices.SortStableFunc(items, func(a, b workItem) int {
		c := key(a).Compare(key(b))
		if req.Order != "asc" {
			c = -c
		}
		return cmp.Or(c, cmp.Compare(b.inst.ID, a.inst.ID))
	})
	records := []*workItemJSON{}
	for _, w := range pageOf(items, number, size) {
		records = append(records, e.workItemRecord(w, u.ID, false))
	}
	pages := (len(items) + size - 1) / size
	return map[string]any{"Records": records, "TotalCount": len(items), "PageSize": size, "PageNumber": number,
		"Pages": pages, "FirstPage": number == 1, "LastPage": number >= pages}, nil
}

func listProcessInstancesCount(e *engine, _ string, body []byte) (any, *apiError) {
	var req struct {
		UserInfo *userInfo
		PageType string
	}
	u, err := e.decodeWithUser(body, &req, &req.UserInfo)
	if err != nil {
		return nil, err
	}
	if err := oneOf("PageType", req.PageType, pageTypes...); err != nil {
		return nil, err
	}
	// Like the vendor's example, every box is counted whatever PageType asks for.
	counts := []map[string]any{}
	for _, pt := range []string{pageDone, pageTodo, pageDraft, pageCC, pageCreate} {
		counts = append(counts, map[string]any{"Total": e.boxLen(u.ID, pt), "PageType": pt})
	}
	return map[string]any{"TotalCounts": counts}, nil
}

package sandbox

// The flows area: WeDa OpenAPI [2] 查询已部署的流程列表 and [3] 发起流程.

func listDeployedFlows(e *engine, env string, body []byte) (any, *apiError) {
	var req struct{ Type *int }
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if req.Type == nil {
		return nil, missing("Type")
	}
	if *req.Type != flowLogic && *req.Type != flowApproval {
		return nil, invalid("Type", *req.Type)
	}
	set := []map[string]any{}
	for _, f := range e.flows {
		if f.Type != *req.Type || (env == "prod" && !f.Published) {
			continue
		}
		begin := 0
		if f.HasStartParams {
			begin = 1
		}
		set = append(set, map[string]any{"FlowCode": f.FlowCode, "ProcessKey": f.ProcessKey, "Published": f.Published,
			"Version": f.Version, "Name": f.Name, "Description": f.Description, "BeginElementType": begin})
	}
	return map[string]any{"TotalCount": len(set), "FlowSet": set}, nil
}

func startFlow(e *engine, env string, body []byte) (any, *apiError) {
	var req struct {
		FlowCode    sid
		FlowVersion string
		ProcessKey  string
		StartParams map[string]any
		StartUser   *userInfo
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	switch {
	case req.FlowCode == "":
		return nil, missing("FlowCode")
	case req.FlowVersion == "":
		return nil, missing("FlowVersion")
	case req.ProcessKey == "":
		return nil, missing("ProcessKey")
	}
	f := e.flowByKey[req.ProcessKey]
	if f == nil {
		return nil, notFound("flow", req.ProcessKey)
	}
	if env == "prod" && !f.Published {
		return nil, failed("flow %s is not published; start it in the pre environment", f.ProcessKey)
	}
	starter, err := e.checkUser("StartUser", req.StartUser)
	if err != nil {
		return nil, err
	}
	res, err := e.start(f, string(req.FlowCode), req.FlowVersion, starter, req.StartParams, false)
	if err != nil {
		return nil, err
	}
	return map[string]any{"FlowInstanceId": res.Instance.ID, "TaskId": res.Task.ID}, nil
}

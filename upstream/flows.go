package upstream

import "context"

// Flow types, the Type that WeDa OpenAPI [2] 查询已部署的流程列表 takes.
const (
	FlowTypeLogic    = 1
	FlowTypeApproval = 2
)

// DeployedFlow is a deployed process, as WeDa OpenAPI [2] 查询已部署的流程列表 lists it.
type DeployedFlow struct {
	FlowCode         ID     `json:"FlowCode"`   // changes on every save or publish
	ProcessKey       string `json:"ProcessKey"` // stable
	Published        Bool   `json:"Published"`
	Version          Text   `json:"Version"`
	Name             Text   `json:"Name"`
	Description      Text   `json:"Description"`
	BeginElementType OptInt `json:"BeginElementType"` // 1: the start node takes parameters
}

// DeployedFlows is ListDeployedFlows' answer.
type DeployedFlows struct {
	TotalCount Int            `json:"TotalCount"`
	FlowSet    []DeployedFlow `json:"FlowSet"`
}

// ListDeployedFlows lists the deployed flows of a type (FlowTypeApproval, FlowTypeLogic):
// WeDa OpenAPI [2] 查询已部署的流程列表.
func (c *Client) ListDeployedFlows(ctx context.Context, flowType int) (*DeployedFlows, error) {
	return read[DeployedFlows](ctx, c, "ListDeployedFlows", struct {
		Type int `json:"Type"`
	}{flowType})
}

// StartFlowRequest is StartFlow's body: WeDa OpenAPI [3] 发起流程.
type StartFlowRequest struct {
	FlowCode    ID             `json:"FlowCode"`
	FlowVersion string         `json:"FlowVersion"`
	ProcessKey  string         `json:"ProcessKey"`
	StartParams map[string]any `json:"StartParams,omitempty"`
	StartUser   UserInfo       `json:"StartUser"`
}

// StartFlowResult is StartFlow's answer.
type StartFlowResult struct {
	FlowInstanceID ID `json:"FlowInstanceId"`
	TaskID         ID `json:"TaskId"` // the starter's own task, if any
}

// StartFlow starts an instance of a flow: WeDa OpenAPI [3] 发起流程. It is a write: never retried.
func (c *Client) StartFlow(ctx context.Context, req *StartFlowRequest) (*StartFlowResult, error) {
	var out StartFlowResult
	if err := c.workflow(ctx, "StartFlow", true, req, &out); err != nil {
		return nil, err
	}
	if out.FlowInstanceID == "" {
		return nil, &Error{Endpoint: "StartFlow", Kind: KindBadResponse, Message: "answer has no FlowInstanceId"}
	}
	return &out, nil
}

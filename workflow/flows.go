package workflow

import (
	"context"
	"time"

	"github.com/wedagraph/gateway/upstream"
)

// Flows and their instances: the deployed flows [2] and the listing of instances [6].

// Flows lists the deployed flows of a type [2] (upstream.FlowTypeApproval or FlowTypeLogic).
func (r *Request) Flows(ctx context.Context, flowType int) ([]upstream.DeployedFlow, error) {
	flows, err := r.sess.ListDeployedFlows(ctx, flowType)
	if err != nil {
		return nil, err
	}
	return flows.FlowSet, nil
}

// FlowByKey finds a deployed flow of either type by its process key, and says which type it is.
func (r *Request) FlowByKey(ctx context.Context, processKey string) (*upstream.DeployedFlow, int, error) {
	for _, flowType := range []int{upstream.FlowTypeApproval, upstream.FlowTypeLogic} {
		flows, err := r.Flows(ctx, flowType)
		if err != nil {
			return nil, 0, err
		}
		for i, f := range flows {
			if f.ProcessKey == processKey {
				return &flows[i], flowType, nil
			}
		}
	}
	return nil, 0, errorf(CodeNotFound, "no deployed flow with processKey %s", processKey)
}

// FlowOf finds the approval flow an instance runs: by its flow code, which changes on every save
// of the flow, so an older instance is matched by its flow's name. nil when neither matches.
func (r *Request) FlowOf(ctx context.Context, flowCode, flowName string) (*upstream.DeployedFlow, error) {
	flows, err := r.Flows(ctx, upstream.FlowTypeApproval)
	if err != nil {
		return nil, err
	}
	for i, f := range flows {
		if string(f.FlowCode) == flowCode {
			return &flows[i], nil
		}
	}
	for i, f := range flows {
		if flowName != "" && string(f.Name) == flowName {
			return &flows[i], nil
		}
	}
	return nil, nil
}

// deployedFlow finds the current code and version of an approval flow by its process key, for
// starting it: an unpublished flow starts only in the pre environment.
func (r *Request) deployedFlow(ctx context.Context, processKey string) (*upstream.DeployedFlow, error) {
	flows, err := r.Flows(ctx, upstream.FlowTypeApproval)
	if err != nil {
		return nil, err
	}
	for i, f := range flows {
		if f.ProcessKey != processKey {
			continue
		}
		if !f.Published && r.sess.Env() == upstream.EnvProd {
			return nil, fieldError("processKey", "flow %s is not published: it can start only in the pre environment", processKey)
		}
		return &flows[i], nil
	}
	return nil, &Error{Code: CodeNotFound, Field: "processKey", Message: "no deployed approval flow with processKey " + processKey}
}

// InstanceFilter narrows a listing of instances [6].
type InstanceFilter struct {
	ProcessKey, FlowCode, FlowVersion string
	StartUserID                       string // an operator's choice; anyone else lists their own
	Status                            int    // upstream.InstanceInProgress…; 0 for any
	StartedAfter, StartedBefore       time.Time
}

// InstanceOrder sorts a listing: Field is one of GetFlowInstances' sort keys (start_time,
// end_time, flow_name, process_key, create_by_name, status, title); Direction asc or desc.
type InstanceOrder struct{ Field, Direction string }

// Instances lists a window of the instances the actor may list (policy "listInstances"): an
// operator anyone's, anyone else the ones they started, whatever the filter asks.
func (r *Request) Instances(ctx context.Context, f InstanceFilter, order InstanceOrder, w Window) (Page[upstream.FlowInstance], error) {
	starter, err := r.a.listedStarter(f.StartUserID)
	if err != nil {
		return Page[upstream.FlowInstance]{}, err
	}
	number, size, skip := w.upstreamPage()
	req := upstream.FlowInstancesRequest{ProcessKey: f.ProcessKey, FlowCode: upstream.ID(f.FlowCode), FlowVersion: f.FlowVersion,
		StartUserID: upstream.ID(starter), Status: f.Status, Sort: order.Field, Order: order.Direction,
		PageNumber: number, PageSize: size}
	if !f.StartedAfter.IsZero() {
		req.StartTime = f.StartedAfter.UnixMilli()
	}
	if !f.StartedBefore.IsZero() {
		req.EndTime = f.StartedBefore.UnixMilli()
	}
	res, err := r.sess.GetFlowInstances(ctx, req)
	if err != nil {
		return Page[upstream.FlowInstance]{}, err
	}
	return pageOf(res.Result, skip, w.Limit, int(res.TotalCount)), nil
}

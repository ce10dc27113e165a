package session

import (
	"context"

	"github.com/wedagraph/gateway/upstream"
)

// The reads, memoized: within an operation each identical read is made once. Each carries the
// name of its WeDa endpoint (and client method); the numbers are the vendor's ("WeDa OpenAPI
// [7]" in upstream's documentation).

// ListUsers queries users with OData options [1].
func (s *Session) ListUsers(ctx context.Context, q upstream.UserQuery) (*upstream.UserList, error) {
	return memo(ctx, s, key("sys_user", q), func(ctx context.Context) (*upstream.UserList, error) {
		return s.client.ListUsers(ctx, q)
	})
}

// ListDeployedFlows lists the deployed flows of a type [2], from the cross-operation cache when
// there is one.
func (s *Session) ListDeployedFlows(ctx context.Context, flowType int) (*upstream.DeployedFlows, error) {
	if s.shared != nil {
		return s.cachedFlows(ctx, flowType)
	}
	return memo(ctx, s, key("ListDeployedFlows", flowType), func(ctx context.Context) (*upstream.DeployedFlows, error) {
		return s.client.ListDeployedFlows(ctx, flowType)
	})
}

// GetFlowInstances lists flow instances [6].
func (s *Session) GetFlowInstances(ctx context.Context, req upstream.FlowInstancesRequest) (*upstream.FlowInstances, error) {
	return memo(ctx, s, key("GetFlowInstances", req), func(ctx context.Context) (*upstream.FlowInstances, error) {
		return s.client.GetFlowInstances(ctx, &req)
	})
}

// GetFlowInstanceTasks lists an instance's tasks [7].
func (s *Session) GetFlowInstanceTasks(ctx context.Context, req upstream.InstanceTasksRequest) (*upstream.InstanceTasks, error) {
	return memo(ctx, s, key("GetFlowInstanceTasks", req), func(ctx context.Context) (*upstream.InstanceTasks, error) {
		return s.client.GetFlowInstanceTasks(ctx, &req)
	})
}

// GetFlowInstanceOperations lists an instance's history [8].
func (s *Session) GetFlowInstanceOperations(ctx context.Context, req upstream.InstanceOperationsRequest) (*upstream.InstanceOperations, error) {
	return memo(ctx, s, key("GetFlowInstanceOperations", req), func(ctx context.Context) (*upstream.InstanceOperations, error) {
		return s.client.GetFlowInstanceOperations(ctx, &req)
	})
}

// DescribeProcessInstance reads the instance behind a task [9].
func (s *Session) DescribeProcessInstance(ctx context.Context, req upstream.DescribeInstanceRequest) (*upstream.ProcessInstance, error) {
	return memo(ctx, s, key("DescribeProcessInstance", req), func(ctx context.Context) (*upstream.ProcessInstance, error) {
		return s.client.DescribeProcessInstance(ctx, &req)
	})
}

// GetApprovalPageDetail reads a task's approval page [10].
func (s *Session) GetApprovalPageDetail(ctx context.Context, req upstream.ApprovalPageRequest) (*upstream.ApprovalPage, error) {
	return memo(ctx, s, key("GetApprovalPageDetail", req), func(ctx context.Context) (*upstream.ApprovalPage, error) {
		return s.client.GetApprovalPageDetail(ctx, &req)
	})
}

// GetProcessCanvasInfo reads an instance's diagram [11].
func (s *Session) GetProcessCanvasInfo(ctx context.Context, instanceID, flowCode string) (*upstream.Canvas, error) {
	return memo(ctx, s, key("GetProcessCanvasInfo", [2]string{instanceID, flowCode}), func(ctx context.Context) (*upstream.Canvas, error) {
		return s.client.GetProcessCanvasInfo(ctx, upstream.ID(instanceID), upstream.ID(flowCode))
	})
}

// ListProcessInstances lists one workbench box [12].
func (s *Session) ListProcessInstances(ctx context.Context, req upstream.WorkItemsRequest) (*upstream.WorkItems, error) {
	return memo(ctx, s, key("ListProcessInstances", req), func(ctx context.Context) (*upstream.WorkItems, error) {
		return s.client.ListProcessInstances(ctx, &req)
	})
}

// ListProcessInstancesCount counts every workbench box of a user [13].
func (s *Session) ListProcessInstancesCount(ctx context.Context, user upstream.UserInfo) ([]upstream.BoxCount, error) {
	return memo(ctx, s, key("ListProcessInstancesCount", user), func(ctx context.Context) ([]upstream.BoxCount, error) {
		return s.client.ListProcessInstancesCount(ctx, user, "")
	})
}

// GetPreElementList lists the nodes an instance may go back to [18].
func (s *Session) GetPreElementList(ctx context.Context, instanceID string) ([]upstream.RollbackTarget, error) {
	return memo(ctx, s, key("GetPreElementList", instanceID), func(ctx context.Context) ([]upstream.RollbackTarget, error) {
		return s.client.GetPreElementList(ctx, upstream.ID(instanceID))
	})
}

// DescribeWorkflowMessages lists a user's messages [20].
func (s *Session) DescribeWorkflowMessages(ctx context.Context, req upstream.MessagesRequest) (*upstream.Messages, error) {
	return memo(ctx, s, key("DescribeWorkflowMessages", req), func(ctx context.Context) (*upstream.Messages, error) {
		return s.client.DescribeWorkflowMessages(ctx, &req)
	})
}

// DescribeWorkflowMessageCount counts a user's messages of a type [21].
func (s *Session) DescribeWorkflowMessageCount(ctx context.Context, user upstream.UserInfo, messageType int) ([]upstream.MessageCount, error) {
	return memo(ctx, s, key("DescribeWorkflowMessageCount", []any{user, messageType}), func(ctx context.Context) ([]upstream.MessageCount, error) {
		return s.client.DescribeWorkflowMessageCount(ctx, user, messageType)
	})
}

// GetUsersByIDs reads the users with the given ids [1], at most upstream.MaxUsersPerBatch: those
// the cross-operation cache holds from it, the rest in one call. Unknown ids are absent.
func (s *Session) GetUsersByIDs(ctx context.Context, ids []string) (map[string]*upstream.User, error) {
	found, missing := s.cachedUsers(ids)
	if len(missing) == 0 {
		return found, nil
	}
	fetched := map[string]*upstream.User{}
	err := s.Do(ctx, func(ctx context.Context) error {
		uids := make([]upstream.ID, len(missing))
		for i, id := range missing {
			uids[i] = upstream.ID(id)
		}
		users, err := s.client.GetUsersByIDs(ctx, uids)
		for i := range users {
			fetched[string(users[i].ID)] = &users[i]
		}
		return err
	})
	s.rememberUsers(fetched)
	for id, u := range fetched {
		found[id] = u
	}
	return found, err
}

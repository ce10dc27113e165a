package sandbox_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wedagraph/gateway/upstream"
)

// WeDa states itself who may revoke what: CanRevoke on an instance record ([9] 查询流程实例详情,
// [12] 根据类型查询流程实例列表) and ShowRevoke on an approval page ([10] 查询审批页面详情). The
// sandbox sets them as it will answer Revoke ([16] 撤销), for the viewer and page they are for.

// item is the record of inst in user's box.
func (e *env) item(t *testing.T, user string, box string, inst upstream.ID) upstream.ProcessInstance {
	t.Helper()
	res, err := e.c.ListProcessInstances(e.ctx, &upstream.WorkItemsRequest{UserInfo: e.user(user), PageType: box, PageSize: 500})
	require.NoError(t, err)
	i := slices.IndexFunc(res.Records, func(r upstream.ProcessInstance) bool { return r.InstanceID == inst })
	require.GreaterOrEqual(t, i, 0, "%s's %s box holds %s", user, box, inst)
	return res.Records[i]
}

// detail is [9] for task as user sees it on a page type.
func (e *env) detail(t *testing.T, user string, task upstream.ID, pageType string) *upstream.ProcessInstance {
	t.Helper()
	viewer := e.user(user)
	d, err := e.c.DescribeProcessInstance(e.ctx, &upstream.DescribeInstanceRequest{FlowTaskID: task, PageType: pageType, UserInfo: &viewer})
	require.NoError(t, err)
	return d
}

// page is [10] for the task that d describes, on a page type; ccID for the CC page.
func (e *env) page(t *testing.T, d *upstream.ProcessInstance, task upstream.ID, node upstream.Text, pageType string) *upstream.ApprovalPage {
	t.Helper()
	p, err := e.c.GetApprovalPageDetail(e.ctx, &upstream.ApprovalPageRequest{InstanceID: d.InstanceID, FlowCode: d.FlowCode,
		NodeID: string(node), PageType: pageType, TaskID: task, CcID: d.CcID})
	require.NoError(t, err)
	return p
}

// A copy is for reading: whoever is copied, even the approver copying themselves, gets no revoke
// on the CC record or page, while the approver's own DONE record and page offer it.
func TestRevokeFlagsCopiesAreForReading(t *testing.T) {
	e := newEnv(t)
	inst := e.start(t, "leave_request", "lihua")
	approved := e.todo(t, inst, "kongtest")
	e.act(t, inst, "kongtest", upstream.ActionApprove, func(r *upstream.CompleteTaskRequest) {
		r.CcUserIDs = []upstream.ID{e.user("chenjing").UserID, e.user("kongtest").UserID}
	})

	done := e.detail(t, "kongtest", approved.TaskID, upstream.PageDone)
	assert.True(t, bool(done.CanRevoke), "the approver may take back the approval")
	assert.True(t, bool(e.item(t, "kongtest", upstream.PageDone, inst).CanRevoke))
	assert.True(t, bool(e.page(t, done, approved.TaskID, approved.ElementID, upstream.PageDone).ShowRevoke))

	for _, copied := range []string{"chenjing", "kongtest"} {
		item := e.item(t, copied, upstream.PageCC, inst)
		assert.False(t, bool(item.CanRevoke), "%s's CC record", copied)
		d := e.detail(t, copied, item.TaskID, upstream.PageCC)
		assert.False(t, bool(d.CanRevoke), "%s's CC detail", copied)
		assert.False(t, bool(e.page(t, d, item.TaskID, approved.ElementID, upstream.PageCC).ShowRevoke), "%s's CC page", copied)
	}
}

// A draft has not been submitted: its starter has nothing to revoke, and Revoke says so.
func TestRevokeFlagsDraftsHaveNothingToRevoke(t *testing.T) {
	e := newEnv(t)
	drafts, err := e.c.ListProcessInstances(e.ctx, &upstream.WorkItemsRequest{UserInfo: e.user("kongtest"), PageType: upstream.PageDraft})
	require.NoError(t, err)
	require.NotEmpty(t, drafts.Records, "the seed saves drafts of leave requests, which let the starter revoke")
	draft := drafts.Records[0]
	assert.False(t, bool(draft.CanRevoke), "the DRAFT record")
	d := e.detail(t, "kongtest", draft.TaskID, upstream.PageDraft)
	assert.False(t, bool(d.CanRevoke), "the DRAFT detail")
	assert.False(t, bool(e.page(t, d, draft.TaskID, "startNode", upstream.PageDraft).ShowRevoke), "the DRAFT page")
	err = e.c.Revoke(e.ctx, &upstream.RevokeRequest{TaskID: draft.TaskID, Revoker: e.user("kongtest"), RevokerType: upstream.RevokeByStarter})
	requireCode(t, err, upstream.KindFailedOperation, "FailedOperation")

	// A submitted leave request of the same starter: the CREATE record, detail and page offer it.
	inst := e.start(t, "leave_request", "kongtest")
	created := e.item(t, "kongtest", upstream.PageCreate, inst)
	assert.True(t, bool(created.CanRevoke), "the CREATE record")
	d = e.detail(t, "kongtest", created.TaskID, upstream.PageCreate)
	assert.True(t, bool(d.CanRevoke), "the CREATE detail")
	assert.True(t, bool(e.page(t, d, created.TaskID, "startNode", upstream.PageCreate).ShowRevoke), "the CREATE page")
}

// What counts is who acted after this approval: an approval given again after a rollback may be
// taken back, although the node after it holds the task that rolled the instance back.
func TestRevokeFlagsCountOnlyWhatCameAfter(t *testing.T) {
	e := newEnv(t)
	inst := e.start(t, "leave_request", "lihua")
	e.act(t, inst, "kongtest", upstream.ActionApprove)
	targets, err := e.c.GetPreElementList(e.ctx, inst)
	require.NoError(t, err)
	e.rollBack(t, inst, "wangfang", targets[0])
	again := e.todo(t, inst, "kongtest")
	e.act(t, inst, "kongtest", upstream.ActionApprove)

	assert.True(t, bool(e.detail(t, "kongtest", again.TaskID, upstream.PageDone).CanRevoke))
	require.NoError(t, e.c.Revoke(e.ctx, &upstream.RevokeRequest{TaskID: again.TaskID, Revoker: e.user("kongtest"),
		RevokerType: upstream.RevokeByApprover}))
}

package sandbox

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"
)

// SeedEpoch is the sandbox's "now" while it builds its seed data; the seeded history lies in
// the days before it.
var seedEpoch = time.Date(2026, 11, 2, 9, 0, 0, 0, cst)

// Demo users, by login name. The first is the administrator; DemoUser is the one the README
// and GraphiQL start with, Colleague the one who handles DemoUser's expense claims.
var seedUsers = []struct {
	name, nick string
	wecom      bool
}{
	{"administrator", "管理员", false},
	{"kongtest", "孔测试", false},
	{"lihua", "李华", false},
	{"wangfang", "王芳", true},
	{"zhangwei", "张伟", false},
	{"liuyang", "刘洋", true},
	{"chenjing", "陈静", false},
	{"yangli", "杨丽", true},
	{"zhaolei", "赵磊", false},
	{"huangmin", "黄敏", false},
	{"zhouqiang", "周强", true},
	{"wuxia", "吴霞", false},
	{"xuming", "徐明", false},
	{"sunli", "孙丽", true},
}

// seedUserID is the id of the i-th seeded user: 19 digits, above 2^53 as WeDa's ids are, and
// the same whatever the seed, so the README can name them.
func seedUserID(i int) string {
	return strconv.FormatInt(1550000000000000000+int64(i+1)*7777777777777, 10)
}

func (e *engine) seed(seed uint64) {
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	clock := seedEpoch.Add(-30 * 24 * time.Hour)
	saved := e.clock
	e.clock = func() time.Time { return clock }
	defer func() { e.clock = saved }()
	tick := func(max time.Duration) { clock = clock.Add(time.Minute + time.Duration(rng.Int64N(int64(max)))) }

	for i, su := range seedUsers {
		u := &user{ID: seedUserID(i), Name: su.name,
			NickName: su.nick, Email: su.name + "@sandbox.weda.example", Phone: fmt.Sprintf("1380000%04d", i+1),
			Type: 4, Desc: su.nick, CreatedAt: clock, UpdatedAt: clock}
		if su.wecom {
			u.Type = 3
		}
		if i == 0 {
			u.InternalUserType, u.Desc = 1, "超级管理员用户"
		}
		e.users = append(e.users, u)
		e.userByID[u.ID] = u
	}
	id := func(name string) string {
		for _, u := range e.users {
			if u.Name == name {
				return u.ID
			}
		}
		panic("no seed user " + name)
	}
	ids := func(names ...string) []string {
		out := make([]string, len(names))
		for i, n := range names {
			out[i] = id(n)
		}
		return out
	}
	start := &node{ID: "startNode", Name: "开始", Kind: kindStart}
	end := &node{ID: "endNode", Name: "结束", Kind: kindEnd}

	flows := []*flow{
		{ProcessKey: "leave_request", Name: "请假申请", Description: "员工请假，主管与部门经理审批后抄送人事", Type: flowApproval,
			Published: true, HasStartParams: true, RevokeByStarter: true, Version: "3.0",
			Nodes: []*node{start,
				{ID: "approvalNode1661763351191", Name: "直属主管审批", Kind: kindApproval, Assignees: ids(DemoUser),
					AddSign: true, Rollback: true, RevokeByApprover: true},
				{ID: "approvalNode1661763351192", Name: "部门经理审批", Kind: kindApproval, Assignees: ids("wangfang", "zhangwei"),
					Rollback: true, RevokeByApprover: true},
				{ID: "ccNode1661763351193", Name: "抄送人事", Kind: kindCC, CCTo: ids("chenjing", "yangli")},
				end}},
		{ProcessKey: "expense_claim", Name: "报销审批", Description: "财务初审后由初审人指定复核人", Type: flowApproval,
			Published: true, RevokeByStarter: true, Version: "7.0",
			Nodes: []*node{start,
				{ID: "handleNode1658740983395", Name: "财务初审", Kind: kindHandle, Assignees: ids("liuyang"), RevokeByApprover: true},
				{ID: "approvalNode1658740549804", Name: "复核（上一节点指定）", Kind: kindApproval, ChosenByPrevious: true,
					Assignees: ids("zhaolei", "huangmin", "zhouqiang"), Rollback: true},
				end}},
		{ProcessKey: "purchase_order", Name: "采购审批", Description: "采购需会签，可加签，总经理终审", Type: flowApproval,
			Published: true, Version: "12.0",
			Nodes: []*node{start,
				{ID: "approvalNode1660217576658", Name: "采购会签", Kind: kindApproval, Assignees: ids("wuxia", "xuming"),
					AllMustSign: true, AddSign: true, Rollback: true},
				{ID: "approvalNode1660217576659", Name: "总经理审批", Kind: kindApproval, Assignees: ids("lihua"),
					Rollback: true, AddSign: true},
				end}},
		{ProcessKey: "contract_review", Name: "合同评审（草稿）", Description: "尚未发布的审批流", Type: flowApproval,
			Published: false, Version: "1.0",
			Nodes: []*node{start,
				{ID: "approvalNode1670000000001", Name: "法务审批", Kind: kindApproval, Assignees: ids("sunli")},
				end}},
		{ProcessKey: "sync_users", Name: "同步通讯录", Description: "逻辑流：定时同步企业微信通讯录", Type: flowLogic,
			Published: true, Version: "2.0", Nodes: []*node{start, end}},
	}
	for _, f := range flows {
		f.FlowCode = e.nextID()
		e.flows = append(e.flows, f)
		e.flowByKey[f.ProcessKey] = f
	}

	starters := ids("kongtest", "lihua", "wangfang", "zhangwei", "liuyang", "chenjing", "yangli", "zhaolei", "sunli", "wuxia")
	approvalFlows := flows[:3]
	comments := []string{"同意", "情况属实，同意", "ok", "请尽快处理", "已核对", "@kongtest 请关注"}
	for i := range 36 {
		tick(18 * time.Hour)
		f := approvalFlows[i%len(approvalFlows)]
		starter := e.userByID[starters[rng.IntN(len(starters))]]
		var params map[string]any
		if f.HasStartParams {
			params = map[string]any{"leave": map[string]any{"days": 1 + rng.IntN(5), "reason": "家中有事"}}
		}
		res, _ := e.start(f, f.FlowCode, f.Version, starter, params, false)
		inst := res.Instance
		// Drive each instance a random distance: some stay in progress at each node, others end
		// approved, rejected, stopped or revoked.
		fate := rng.IntN(10)
		for step := 0; inst.Status == instInProgress && step < 8; step++ {
			todo := pending(inst, inst.Current, taskTodo)
			waiting := pending(inst, inst.Current, taskWaiting)
			if fate < 3 && step >= fate { // left in progress
				break
			}
			tick(6 * time.Hour)
			switch {
			case len(waiting) > 0:
				_ = e.submitChosen([]string{waiting[rng.IntN(len(waiting))].ID})
			case fate == 3 && step == 0:
				_ = e.stop(inst, starter, "需求取消")
			case fate == 4 && step == 1 && len(todo) > 0:
				_, _ = e.complete(completeInput{Task: todo[0], Action: btnReject, Comment: "预算不足", Approver: e.userByID[todo[0].Assignee]})
			case fate == 5 && step == 0 && f.RevokeByStarter:
				_ = e.revoke(inst.Tasks[0], starter, 2)
			case len(todo) > 0:
				t := todo[rng.IntN(len(todo))]
				var cc []string
				if rng.IntN(4) == 0 && t.Assignee != id(DemoUser) {
					cc = ids(DemoUser)
				}
				_, _ = e.complete(completeInput{Task: t, Action: btnApprove, Comment: comments[rng.IntN(len(comments))],
					Approver: e.userByID[t.Assignee], CC: cc})
			default:
				step = 8
			}
		}
	}
	// A full inbox for the demo user: leave requests waiting at the supervisor's node, and a few
	// flows the demo user started.
	for i := range 22 {
		tick(3 * time.Hour)
		starter := e.userByID[starters[1+i%(len(starters)-1)]]
		_, _ = e.start(flows[0], flows[0].FlowCode, flows[0].Version, starter,
			map[string]any{"leave": map[string]any{"days": 1 + i%3, "reason": "年假"}}, false)
	}
	for _, f := range approvalFlows[1:] {
		tick(time.Hour)
		_, _ = e.start(f, f.FlowCode, f.Version, e.userByID[id(DemoUser)], nil, false)
	}
	// Drafts for the DRAFT box.
	for _, name := range []string{"kongtest", "lihua"} {
		tick(time.Hour)
		f := flows[0]
		_, _ = e.start(f, f.FlowCode, f.Version, e.userByID[id(name)], map[string]any{"leave": map[string]any{"days": 2}}, true)
	}
	// Some messages already read.
	for i, m := range e.msgs {
		if i%3 == 0 {
			m.Status = msgRead
		}
	}
}

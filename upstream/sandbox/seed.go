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

// SeedUser is a seeded user as people name them.
type SeedUser struct {
	Name     string // the login name, e.g. kongtest
	NickName string // e.g. 孔测试
	ID       string // what WeDa's APIs and the gateway's X-Weda-User-Id header take
}

// SeedUsers lists the seeded users in seed order. Their ids do not depend on the seed.
func SeedUsers() []SeedUser {
	out := make([]SeedUser, len(seedUsers))
	for i, su := range seedUsers {
		out[i] = SeedUser{Name: su.name, NickName: su.nick, ID: seedUserID(i)}
	}
	return out
}

// seedUserID is the id of the i-th seeded user: 19 digits, above 2^53 as WeDa's ids are, and
// the same whatever the seed, so the README can name them.
func seedUserID(i int) string {
	return strconv.FormatInt(1550000000000000000+int64(i+1)*7777777777777, 10)
}

// seeder builds the demo organisation, the same for the same seed: users, flows, a history of
// instances driven a random distance, the demo user's inbox, drafts, and messages.
type seeder struct {
	e     *engine
	rng   *rand.Rand
	clock time.Time // the engine's clock while seeding
}

func (e *engine) seed(seed uint64) {
	s := &seeder{e: e, rng: rand.New(rand.NewPCG(seed, seed^0x5eed)), clock: seedEpoch.Add(-30 * 24 * time.Hour)}
	saved := e.clock
	e.clock = func() time.Time { return s.clock }
	defer func() { e.clock = saved }()

	s.users()
	flows := s.flows()
	starters := s.ids("kongtest", "lihua", "wangfang", "zhangwei", "liuyang", "chenjing", "yangli", "zhaolei", "sunli", "wuxia")
	approvalFlows := flows[:3]
	for i := range 36 {
		s.history(approvalFlows[i%len(approvalFlows)], starters)
	}
	s.inbox(flows[0], approvalFlows[1:], starters)
	s.drafts(flows[0])
	// Some messages already read.
	for i, m := range e.msgs {
		if i%3 == 0 {
			m.Status = msgRead
		}
	}
}

// tick moves the clock on by a minute and up to max more.
func (s *seeder) tick(max time.Duration) {
	s.clock = s.clock.Add(time.Minute + time.Duration(s.rng.Int64N(int64(max))))
}

func (s *seeder) users() {
	e := s.e
	for i, su := range seedUsers {
		u := &user{ID: seedUserID(i), Name: su.name,
			NickName: su.nick, Email: su.name + "@sandbox.weda.example", Phone: fmt.Sprintf("1380000%04d", i+1),
			Type: userInternal, Desc: su.nick, CreatedAt: s.clock, UpdatedAt: s.clock}
		if su.wecom {
			u.Type = userWeCom
		}
		if i == 0 {
			u.InternalUserType, u.Desc = userAdministrator, "超级管理员用户"
		}
		e.users = append(e.users, u)
		e.userByID[u.ID] = u
	}
}

// id is the id of the seeded user with that login name.
func (s *seeder) id(name string) string {
	for _, u := range s.e.users {
		if u.Name == name {
			return u.ID
		}
	}
	panic("no seed user " + name)
}

func (s *seeder) ids(names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = s.id(n)
	}
	return out
}

// flows deploys the demo flows: three published approval flows, an unpublished one, a logic flow.
func (s *seeder) flows() []*flow {
	ids := s.ids
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
		f.FlowCode = s.e.nextID()
		s.e.flows = append(s.e.flows, f)
		s.e.flowByKey[f.ProcessKey] = f
	}
	return flows
}

var seedComments = []string{"同意", "情况属实，同意", "ok", "请尽快处理", "已核对", "@kongtest 请关注"}

// history starts an instance of f by a random starter and drives it a random distance: some
// stay in progress at each node, others end approved, rejected, stopped or revoked.
func (s *seeder) history(f *flow, starters []string) {
	e := s.e
	s.tick(18 * time.Hour)
	starter := e.userByID[starters[s.rng.IntN(len(starters))]]
	var params map[string]any
	if f.HasStartParams {
		params = map[string]any{"leave": map[string]any{"days": 1 + s.rng.IntN(5), "reason": "家中有事"}}
	}
	res, _ := e.start(f, f.FlowCode, f.Version, starter, params, false)
	inst := res.Instance
	fate := s.rng.IntN(10)
	for step := 0; inst.Status == instInProgress && step < 8; step++ {
		todo := pending(inst, inst.Current, taskTodo)
		waiting := pending(inst, inst.Current, taskWaiting)
		if fate < 3 && step >= fate { // left in progress
			break
		}
		s.tick(6 * time.Hour)
		switch {
		case len(waiting) > 0:
			_ = e.submitChosen([]string{waiting[s.rng.IntN(len(waiting))].ID})
		case fate == 3 && step == 0:
			_ = e.stop(inst, starter, "需求取消")
		case fate == 4 && step == 1 && len(todo) > 0:
			_, _ = e.complete(completeInput{Task: todo[0], Action: btnReject, Comment: "预算不足", Approver: e.userByID[todo[0].Assignee]})
		case fate == 5 && step == 0 && f.RevokeByStarter:
			_ = e.revoke(inst.Tasks[0], starter, revokeByStarter)
		case len(todo) > 0:
			s.approve(todo[s.rng.IntN(len(todo))])
		default:
			step = 8
		}
	}
}

// approve approves t with a random comment, now and then copying the demo user.
func (s *seeder) approve(t *task) {
	var cc []string
	if s.rng.IntN(4) == 0 && t.Assignee != s.id(DemoUser) {
		cc = s.ids(DemoUser)
	}
	_, _ = s.e.complete(completeInput{Task: t, Action: btnApprove, Comment: seedComments[s.rng.IntN(len(seedComments))],
		Approver: s.e.userByID[t.Assignee], CC: cc})
}

// inbox fills the demo user's inbox: leave requests waiting at the supervisor's node, and one
// instance of each of others that the demo user started.
func (s *seeder) inbox(leave *flow, others []*flow, starters []string) {
	e := s.e
	for i := range 22 {
		s.tick(3 * time.Hour)
		starter := e.userByID[starters[1+i%(len(starters)-1)]]
		_, _ = e.start(leave, leave.FlowCode, leave.Version, starter,
			map[string]any{"leave": map[string]any{"days": 1 + i%3, "reason": "年假"}}, false)
	}
	for _, f := range others {
		s.tick(time.Hour)
		_, _ = e.start(f, f.FlowCode, f.Version, e.userByID[s.id(DemoUser)], nil, false)
	}
}

// drafts saves a draft of f for two users, for the DRAFT box.
func (s *seeder) drafts(f *flow) {
	for _, name := range []string{"kongtest", "lihua"} {
		s.tick(time.Hour)
		_, _ = s.e.start(f, f.FlowCode, f.Version, s.e.userByID[s.id(name)], map[string]any{"leave": map[string]any{"days": 2}}, true)
	}
}

// Package upstream is the only code that speaks HTTP to WeDa: one typed method per endpoint,
// tolerant decoding of the vendor's inconsistent answers, token auth, timeouts and retries.
//
// # The vendor's document
//
// The endpoints are WeDa's (微搭低代码) workflow OpenAPI, published by Tencent Cloud at
// https://cloud.tencent.com/document/product/1301/94470, and the data-model API that [1] points
// to, https://cloud.tencent.com/document/product/1301/70983. The vendor numbers its endpoints
// and refers to them by number ("参考接口 9"); a comment here names one by that number and the
// vendor's title, e.g. WeDa OpenAPI [7] 查询流程任务相关信息.
//
// # Where things are
//
// One file per API area, each holding its endpoints' methods, request and answer types, coded
// values and request encodings:
//
//	users.go      [1] 获取用户信息 (the sys_user data model, OData)
//	flows.go      [2] 查询已部署的流程列表, [3] 发起流程
//	instances.go  [5] 终止流程, [6] 查询流程实例相关信息, [9] 查询流程实例详情, [11] 查询流程画布详情,
//	              [15] 催办, [16] 撤销, [18] 获取可回退的节点列表, [19] 回退
//	tasks.go      [4] 完成审批任务, [7] 查询流程任务相关信息, [8] 查询流程操作相关信息,
//	              [10] 查询审批页面详情, [14] 提交流程审批任务列表, [17] 加签
//	workbench.go  [12] 根据类型查询流程实例列表, [13] 根据类型查询流程实例总数
//	messages.go   [20] 查询消息列表, [21] 查询消息个数, [22] 更新消息状态
//
// The client's core, by role: client.go (configuration, environments), transport.go (sending,
// retries, what a failed send means), envelope.go (reading answers and their error shapes),
// errors.go (the one error type), encode.go (writing request bodies), types.go (the tolerant
// value types), auth.go (tokens), coalesce.go and clone.go (sharing identical reads in flight),
// content.go (an operation's Content), zone.go (WeDa's zoneless times), settings.go (the
// environment variables).
package upstream

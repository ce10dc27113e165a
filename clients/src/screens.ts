// The README's screens written against the generated types. `npm run typecheck` compiles this
// with --strict: a field, a variable or a scalar type that drifted from the schema fails it.
import { execute, type Options } from './client';
import {
  ApproveDocument,
  DetailDocument,
  InboxDocument,
  InboxFirstPaintDocument,
  PressDocument,
  StartFlowDocument,
  TransferDocument,
} from './gql/graphql';
import type { InstanceStatus } from './gql/graphql';
import type { JSONValue } from './json';

export async function inbox(opts: Options): Promise<{ todo: number; firstStarted: string | null }> {
  const { data } = await execute(opts, InboxDocument);
  const first = data?.viewer?.workItems?.nodes[0];
  return {
    todo: data?.viewer?.workItemCounts?.todo ?? 0,
    firstStarted: first?.startTime ?? null, // DateTime is an RFC 3339 string
  };
}

// With @defer, a deferred fragment's fields are optional in the type: absent until their part comes.
export async function firstPaint(opts: Options): Promise<(InstanceStatus | 'loading')[]> {
  const { data } = await execute(opts, InboxFirstPaintDocument);
  return data?.viewer?.workItems?.nodes.map((n) => n.instance?.status ?? 'loading') ?? [];
}

export async function detail(opts: Options, id: string): Promise<JSONValue[]> {
  const { data } = await execute(opts, DetailDocument, { id });
  const status: InstanceStatus | undefined = data?.instance?.status;
  void status;
  // Form fields are a JSON scalar: any JSON value, never `any`.
  return (data?.instance?.tasks?.nodes ?? []).flatMap((t) => t.approvalPage?.objects.map((o) => o.fields) ?? []);
}

export async function startThenApprove(opts: Options, task: string, transfer: { task: string; to: string }) {
  const started = await execute(opts, StartFlowDocument);
  const approved = await execute(opts, ApproveDocument, { task });
  const moved = await execute(opts, TransferDocument, transfer);
  const pressed = await execute(opts, PressDocument, { id: started.data?.startFlow?.instance?.id ?? '' });
  return [approved.data?.completeTask?.nextApproversRequired, moved.data, pressed.data] as const;
}

// What the compiler must refuse.
export function refused(opts: Options) {
  // @ts-expect-error Detail needs its instance id.
  void execute(opts, DetailDocument);
  // @ts-expect-error Inbox takes no variables.
  void execute(opts, InboxDocument, { id: '1' });
  // @ts-expect-error Transfer needs the user to transfer to.
  void execute(opts, TransferDocument, { task: '1' });
  return async () => {
    const { data } = await execute(opts, InboxDocument);
    // @ts-expect-error startTime is a string (DateTime), not a number.
    const n: number | null | undefined = data?.viewer?.workItems?.nodes[0]?.startTime;
    // @ts-expect-error the inbox asked for no description.
    void data?.viewer?.workItems?.nodes[0]?.description;
    return n;
  };
}

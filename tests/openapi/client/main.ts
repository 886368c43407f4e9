// main.ts - a typed dm-gateway client: generated from openapi/openapi.yaml by
// openapi-typescript, used through openapi-fetch. It lists, starts, pauses, patches
// (under If-Match) and stops a task. tests/integration/openapi_client.sh compiles it with
// tsc --strict and refuses any type assertion, non-null assertion or escape hatch in
// this file: every value below is typed by the document alone. With DM_GATEWAY_URL and
// DM_TOKEN set it runs against that gateway (the script's local stack).
import createClient from "openapi-fetch";
import type { components, paths } from "./api.js";

type TaskConfig = components["schemas"]["TaskConfig"];
type Problem = components["schemas"]["Problem"];
type ResultMsg = components["schemas"]["ResultMsg"];

function env(key: string): string {
  const v = process.env[key];
  if (v === undefined || v === "") {
    throw new Error(`${key} is not set`);
  }
  return v;
}

let failures = 0;
function check(what: string, ok: boolean, detail: string = ""): void {
  if (ok) {
    console.log(`ok   - ${what}`);
  } else {
    failures++;
    console.log(`FAIL - ${what} ${detail}`);
  }
}

// A gateway problem or a DM answer, readable.
function describe(e: Problem | ResultMsg | undefined): string {
  if (e === undefined) {
    return "";
  }
  if ("requestId" in e && typeof e.detail === "string") {
    return `${e.status} ${e.title}: ${e.detail} (request ${e.requestId})`;
  }
  return `result=${String(e.result)} msg=${e.msg ?? ""}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function main(): Promise<void> {
  const client = createClient<paths>({
    baseUrl: env("DM_GATEWAY_URL"),
    headers: { Authorization: `Bearer ${env("DM_TOKEN")}` },
  });
  const name = "ts-client-task";
  const cfg: TaskConfig = {
    name,
    "task-mode": "incremental",
    "meta-schema": "dm_meta",
    "target-database": {
      host: env("TARGET_HOST"),
      port: Number(env("TARGET_PORT")),
      user: env("TARGET_USER"),
      password: process.env["TARGET_PASSWORD"] ?? "",
    },
    "mysql-instances": [
      {
        "source-id": env("SOURCE_ID"),
        meta: { "binlog-name": env("BINLOG_NAME"), "binlog-pos": Number(env("BINLOG_POS")) },
        "black-white-list": "shop-only",
      },
    ],
    "black-white-list": { "shop-only": { "do-dbs": ["shop"] } },
  };

  // start
  const started = await client.POST("/api/v1/tasks", { body: cfg });
  check("start answers 201", started.response.status === 201, describe(started.error));
  check("start names the task in Location",
    started.response.headers.get("Location") === `/api/v1/tasks/${name}`);
  const startWorkers = started.data?.workers ?? [];
  check("start: every worker said result true",
    startWorkers.length > 0 && startWorkers.every((w) => w.result === true),
    JSON.stringify(started.data));

  // list (condensed) until the task runs
  let status = "";
  for (let i = 0; i < 50 && status !== "Running"; i++) {
    const list = await client.GET("/api/v1/tasks");
    const body = list.data;
    if (body !== undefined && "tasks" in body) {
      status = body.tasks?.find((t) => t.taskName === name)?.taskStatus ?? "";
    }
    if (status !== "Running") {
      await sleep(200);
    }
  }
  check("the condensed list shows the task Running", status === "Running", status);

  // the full status, typed down to the Sync unit
  const one = await client.GET("/api/v1/tasks/{name}", { params: { path: { name } } });
  const sub = one.data?.workers?.[0]?.subTaskStatus?.[0];
  check("status names the subtask", sub?.name === name, JSON.stringify(one.data));
  check("the subtask is in the Sync unit with the upstream's binlog position",
    sub?.unit === "Sync" && (sub.sync?.masterBinlog ?? "").startsWith("(mysql-bin."), JSON.stringify(sub));

  // pause (a merge patch of the stage)
  const paused = await client.PATCH("/api/v1/tasks/{name}", {
    params: { path: { name } },
    body: { stage: "Paused" },
  });
  const pauseBody = paused.data;
  check("pause answers 200 with op Pause",
    paused.response.status === 200 && pauseBody !== undefined && "op" in pauseBody && pauseBody.op === "Pause",
    describe(paused.error));

  // patch the config under If-Match
  const got = await client.GET("/api/v1/tasks/{name}/config", {
    params: { path: { name }, query: { format: "json" } },
  });
  const etag = got.response.headers.get("ETag") ?? "";
  const current = got.data;
  check("the config reads back as JSON with an ETag",
    etag !== "" && typeof current === "object" && current.name === name, JSON.stringify(current));
  const patched = await client.PATCH("/api/v1/tasks/{name}", {
    params: { path: { name }, header: { "If-Match": etag } },
    body: {
      filters: {
        "keep-truncate-out": {
          "schema-pattern": "shop",
          "table-pattern": "*",
          events: ["truncate table"],
          action: "Ignore",
        },
        "no-such-rule": null,
      },
    },
  });
  check("the config patch answers 200 with a new ETag",
    patched.response.status === 200 && (patched.response.headers.get("ETag") ?? etag) !== etag,
    describe(patched.error));
  const stale = await client.PATCH("/api/v1/tasks/{name}", {
    params: { path: { name }, header: { "If-Match": etag } },
    body: { timezone: "UTC" },
  });
  check("a patch under the old ETag answers 412", stale.response.status === 412,
    `${stale.response.status} ${describe(stale.error)}`);
  const after = await client.GET("/api/v1/tasks/{name}/config", {
    params: { path: { name }, query: { format: "json" } },
  });
  const newCfg = after.data;
  const rule = typeof newCfg === "object" ? newCfg.filters?.["keep-truncate-out"] : undefined;
  check("the stored config has the new filter rule",
    rule?.action === "Ignore" && (rule.events ?? []).includes("truncate table"), JSON.stringify(newCfg));
  check("the rest of the stored config is unchanged",
    typeof newCfg === "object" && newCfg["target-database"]?.port === cfg["target-database"]?.port &&
      newCfg["mysql-instances"]?.[0]?.meta?.["binlog-pos"] === Number(env("BINLOG_POS")),
    JSON.stringify(newCfg));

  // stop
  const stopped = await client.DELETE("/api/v1/tasks/{name}", { params: { path: { name } } });
  check("stop answers 200 with op Stop",
    stopped.response.status === 200 && stopped.data?.op === "Stop", describe(stopped.error));
  const gone = await client.GET("/api/v1/tasks/{name}", { params: { path: { name } } });
  check("the stopped task is gone (404)", gone.response.status === 404, String(gone.response.status));

  // the grpc-gateway route of DM v1.0.7 with an empty name answers every task
  const all = await client.GET("/apis/v1alpha1/status");
  check("/apis/v1alpha1/status answers 200", all.response.status === 200, String(all.response.status));

  console.log(failures === 0 ? "client: all checks passed" : `client: ${failures} checks failed`);
  process.exitCode = failures === 0 ? 0 : 1;
}

main().catch((e: unknown) => {
  console.log(`FAIL - ${String(e)}`);
  process.exitCode = 1;
});

/**
 * The cache benchmark's project: N jobs in a layered DAG, each with F input
 * files and one output (`cat` of its inputs), written for every tool: a gather
 * task file, a deno.json with `files`/`output`/`dependencies`, a Makefile, a
 * build.ninja, a turbo.json and a wireit package.json.
 *
 * @module
 */

import { join } from "../paths.ts";
import { mulberry32 } from "../prng.ts";

/** One job of the project. */
export interface CacheJob {
  /** Its name, e.g. `j0042`. */
  name: string;
  /** Its input files, relative to the project. */
  inputs: string[];
  /** Its output file. */
  output: string;
  /** The jobs it depends on. */
  deps: string[];
}

/** The shape of the project. */
export interface CacheProject {
  /** The jobs, dependencies first. */
  jobs: CacheJob[];
  /** The jobs nothing depends on: the targets. */
  sinks: string[];
}

/** The tools the cache benchmark knows. */
export type CacheTool = "gather" | "deno-task" | "make" | "ninja" | "turbo" | "wireit";

/**
 * Make the project's graph: `layers` layers; a job depends on two jobs of the layer before.
 *
 * @param jobs How many jobs.
 * @param layers How many layers.
 * @param files Inputs per job.
 * @returns The project.
 *
 * @example Usage
 * ```ts
 * import { makeProject } from "./project.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const project = makeProject(20, 4, 3);
 * assertEquals(project.jobs.length, 20);
 * assertEquals(project.jobs[6]!.deps, ["j0001", "j0000"]); // layer 2, slot 1: slots 1 and (7 + 3) % 5
 * assertEquals(project.jobs[0]!.deps, []);
 * ```
 */
export function makeProject(jobs: number, layers: number, files: number): CacheProject {
  const width = Math.ceil(jobs / layers);
  const name = (i: number) => `j${String(i).padStart(4, "0")}`;
  const list: CacheJob[] = [];
  for (let i = 0; i < jobs; i++) {
    const layer = Math.floor(i / width);
    const slot = i % width;
    const deps = new Set<string>();
    if (layer > 0) {
      for (const other of [slot, (7 * slot + 3) % width]) {
        const dep = (layer - 1) * width + other;
        if (dep < i) deps.add(name(dep));
      }
    }
    const n = name(i);
    list.push({
      name: n,
      inputs: Array.from({ length: files }, (_, f) => `src/${n}/f${f}.txt`),
      output: `out/${n}.txt`,
      deps: [...deps],
    });
  }
  const used = new Set(list.flatMap((job) => job.deps));
  return { jobs: list, sinks: list.filter((job) => !used.has(job.name)).map((job) => job.name) };
}

/**
 * Write the project for one tool into a folder (inputs and configuration).
 *
 * @param dir The folder.
 * @param project The project.
 * @param tool The tool.
 * @param modUrl gather's `mod.ts`, for the task file.
 */
export function writeProject(
  dir: string,
  project: CacheProject,
  tool: CacheTool,
  modUrl: string,
): void {
  Deno.mkdirSync(join(dir, "out"), { recursive: true });
  const random = mulberry32(11);
  for (const job of project.jobs) {
    Deno.mkdirSync(join(dir, "src", job.name), { recursive: true });
    for (const input of job.inputs) {
      const size = 1024 + Math.floor(random() * 3072);
      Deno.writeTextFileSync(
        join(dir, input),
        "x".repeat(size - 8) + String(random()).slice(2, 10),
      );
    }
  }
  // `sort`, not `cat`: a real process in every tool (deno task runs `cat` inside its own shell).
  const command = (job: CacheJob) => `sort src/${job.name}/*.txt > ${job.output}`;
  const write = (name: string, text: string) => Deno.writeTextFileSync(join(dir, name), text);
  switch (tool) {
    case "gather": {
      const lines = [`import { job } from ${JSON.stringify(modUrl)};`];
      for (const job of project.jobs) {
        lines.push(
          `export const ${job.name} = job({ deps: ${
            JSON.stringify(job.deps)
          }, inputs: ["src/${job.name}/*.txt"], outputs: ["${job.output}"] }, (ctx) => ctx.sh\`${
            command(job)
          }\`);`,
        );
      }
      write("deno.json", "{}\n");
      write("tasks.ts", lines.join("\n") + "\n");
      break;
    }
    case "deno-task": {
      const tasks: Record<string, unknown> = {};
      for (const job of project.jobs) {
        tasks[job.name] = {
          command: command(job),
          files: [`src/${job.name}/*.txt`],
          output: [job.output],
          dependencies: job.deps,
        };
      }
      tasks["all"] = { command: "true", dependencies: project.sinks };
      write("deno.json", JSON.stringify({ tasks }, null, 1));
      break;
    }
    case "make": {
      let text = `.PHONY: all\nall: ${project.sinks.map((n) => `out/${n}.txt`).join(" ")}\n`;
      for (const job of project.jobs) {
        const deps = job.deps.map((d) => `out/${d}.txt`).join(" ");
        text += `${job.output}: ${job.inputs.join(" ")} ${deps}\n\t${command(job)}\n`;
      }
      write("Makefile", text);
      break;
    }
    case "ninja": {
      let text = "rule sort\n  command = sort $in > $out\n";
      for (const job of project.jobs) {
        const deps = job.deps.map((d) => `out/${d}.txt`).join(" ");
        text += `build ${job.output}: sort ${job.inputs.join(" ")}${deps ? ` | ${deps}` : ""}\n`;
      }
      text += `build all: phony ${
        project.sinks.map((n) => `out/${n}.txt`).join(" ")
      }\ndefault all\n`;
      write("build.ninja", text);
      break;
    }
    case "turbo": {
      const scripts: Record<string, string> = {};
      const tasks: Record<string, unknown> = {};
      for (const job of project.jobs) {
        scripts[job.name] = command(job);
        tasks[job.name] = {
          dependsOn: job.deps,
          inputs: [`src/${job.name}/**`],
          outputs: [job.output],
          outputLogs: "none",
        };
      }
      tasks["all"] = { dependsOn: project.sinks, cache: false };
      scripts["all"] = "true";
      write(
        "package.json",
        JSON.stringify({
          name: "bench",
          version: "0.0.0",
          private: true,
          packageManager: "npm@11.0.0",
          scripts,
        }),
      );
      write("package-lock.json", JSON.stringify(lockfile()));
      write("turbo.json", JSON.stringify({ tasks }));
      break;
    }
    case "wireit": {
      const scripts: Record<string, string> = { all: "wireit" };
      const wireit: Record<string, unknown> = {};
      for (const job of project.jobs) {
        scripts[job.name] = "wireit";
        wireit[job.name] = {
          command: command(job),
          files: [`src/${job.name}/*.txt`],
          output: [job.output],
          dependencies: job.deps,
        };
      }
      wireit["all"] = { dependencies: project.sinks };
      write(
        "package.json",
        JSON.stringify({ name: "bench", version: "0.0.0", private: true, scripts, wireit }),
      );
      write("package-lock.json", JSON.stringify(lockfile()));
      break;
    }
  }
}

function lockfile() {
  return {
    name: "bench",
    version: "0.0.0",
    lockfileVersion: 3,
    requires: true,
    packages: { "": { name: "bench", version: "0.0.0" } },
  };
}

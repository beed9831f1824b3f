// GASS textures as a Flamenco 3 job type: one `blender -b -c gass` task per manifest row.
//
// UNTESTED SKETCH. No Flamenco Manager was available where it was written; it
// follows the job compiler API of Flamenco's documentation and built-in
// scripts (JOB_TYPE, compileJob, author.Task, author.Command("exec", ...)).
// The tested way to run a manifest is farm/gass-textures.openjd.yaml.
//
// Install: copy this file into the `scripts` folder next to flamenco-manager and
// restart the Manager. Workers need Blender 4.2+ with the GASS extension installed.
// Job scripts cannot read files, so the job carries the manifest's JSON text
// (written by `python -m farm.manifest DIR`; the format is in the README,
// "On a render farm"), and relative paths in it are joined to `folder`, the
// manifest's folder as the workers see it. Output folders must exist.

const JOB_TYPE = {
    label: "GASS Textures",
    description: "Synthesize textures with GASS, one blender -b -c gass task per manifest row",
    settings: [
        { key: "manifest", type: "string", required: true,
          description: "The manifest's JSON text: {\"textures\": [row, ...]}" },
        { key: "folder", type: "string", subtype: "dir_path", required: true,
          description: "Folder the manifest's relative paths are relative to, as the workers see it" },
        { key: "variations", type: "int32", default: 1,
          description: "Runs per row, with seeds row seed + 0, 1, ...; outputs need {seed} when above 1" },
        { key: "blender", type: "string", default: "{blender}", visible: false },
    ],
};

// Row keys that are not command-line options (see farm/run_row.py, which this mirrors).
const ROW_KEYS = new Set(["job", "inputs", "output", "seed"]);

function compileJob(job) {
    const settings = job.settings;
    const rows = JSON.parse(settings.manifest).textures;
    rows.forEach((row, index) => {
        for (let variation = 0; variation < settings.variations; variation++) {
            const seed = (row.seed || 0) + variation;
            const task = author.Task(`row-${index + 1}-seed-${seed}`, "blender");
            task.addCommand(author.Command("exec", {
                exe: settings.blender,
                args: ["-b", "-c", "gass"].concat(rowArgs(row, seed, settings.folder)),
            }));
            job.addTask(task);
        }
    });
}

// The GASS arguments of one row, as farm/run_row.py builds them, with paths made absolute.
function rowArgs(row, seed, folder) {
    const job = row.job || "new";
    const inputs = row.inputs.map((input) => job === "pbr" ? absoluteMapSet(input, folder) : absolute(input, folder));
    let args = [job];
    args = args.concat(inputs, ["-o", absolute(row.output.replace("{seed}", String(seed)), folder)]);
    args = args.concat(["--seed", String(seed)]);
    for (const [key, value] of Object.entries(row)) {
        if (ROW_KEYS.has(key) || value === false || value === null) continue;
        const flag = `--${key}`;
        if (value === true) args.push(flag);
        else if (Array.isArray(value)) args = args.concat([flag], value.map(String));
        else args = args.concat([flag, key === "mask" ? absolute(value, folder) : String(value)]);
    }
    return args;
}

function absolute(file, folder) {
    return /^([A-Za-z]:)?[\\/]/.test(file) ? file : path.join(folder, file);
}

// "color=c.png,normal=n.png" -> "color=/folder/c.png,normal=/folder/n.png"
function absoluteMapSet(text, folder) {
    return text.split(",").map((item) => {
        const at = item.indexOf("=");
        return item.slice(0, at + 1) + absolute(item.slice(at + 1), folder);
    }).join(",");
}

/**
 * The paragraph the rule pages share on where a hyperparameter's value comes from (docs only).
 * The project analysis (server/src/project/) is described in the README.
 */
export const VALUE_SOURCES = `Hyperparameter values (\`alpha\`, \`gamma\`, flags such as \`from_logits\`) are read from literals, a
parameter's default, \`__init__\` (\`self.gamma\`), module-level constants, and literals passed at call
sites in the same file. In a project check (\`losslint check\` on a folder, and the language server once
its workspace is indexed) they are also read from elsewhere, and the finding is reported where the value
is written, with the loss's line as related information: literals passed at call sites in other files of
the project (imports followed: absolute, relative, packages, \`__init__\` re-exports), argparse defaults
read through \`args.x\`, YAML/JSON/TOML config values read through \`cfg.a.b\` or \`cfg['a']['b']\`
(\`OmegaConf.load\`, \`yaml.safe_load\`, \`json.load\`, \`tomllib.load\`, Hydra's \`@hydra.main\` and its
config groups), and mmdetection / mmcv config dicts whose \`type=\` names a loss class (the project's own,
or a library's from the op table). Nothing is executed: a value that is not a literal stays unknown.
Where the code branches on a value's type (\`if isinstance(self.alpha, torch.Tensor): ... else: ...\`),
the branch a value read from a literal takes is the one checked: an alpha left at a number takes the
\`else\`; a value a call site passes as a tensor, or one not known, leaves both branches read. A parameter
passed on to a helper (\`helper(x, gamma)\`) gives the helper its default and its call sites' values, and a
helper that hands its arguments back unchanged on the path its defaults take (\`if indexes is None:
return xs\`) gives back what it was given.`;

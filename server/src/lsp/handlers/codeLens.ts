/**
 * textDocument/codeLens: one lens above each loss function the numeric checks probed, with its
 * verdict ("LossLint: 18/19 probes pass (wasm, 41 ms)", or "LossLint: not checked: ..."); clicking
 * it re-runs the checks (`losslint.rerunNumeric` with the document's URI and the function).
 * While the probes re-run after an edit, the previous result's lenses keep their place.
 */
import type { CodeLens, CodeLensParams } from 'vscode-languageserver';
import type { NumericChecker } from '../numeric';
import { lensTitle } from '../plot';
import { ServerCommands } from '../../../../common/protocol';

export function provideCodeLenses(params: CodeLensParams, numeric: NumericChecker): CodeLens[] {
  const uri = params.textDocument.uri;
  const result = numeric.result(uri) ?? numeric.lastResult(uri);
  if (!result) return [];
  return result.reports.map((r) => ({
    range: r.range,
    command: { title: lensTitle(r), command: ServerCommands.rerunNumeric, arguments: [uri, r.function] },
  }));
}

/**
 * Every rule, in code order. A new rule is one file in this folder plus one line here; its docs page
 * docs/rules/<code>.md is generated from the rule's `docs` (test/rules/docs.test.ts keeps them equal).
 */
import type { Rule } from '../core/rule';
import scalarAlphaSoftmax from './scalar-alpha-softmax';
import alphaNotAlphaT from './alpha-not-alpha-t';
import gammaBelowOneUnclamped from './gamma-below-one-unclamped';
import ptFromReducedCe from './pt-from-reduced-ce';
import ptFromLogProb from './pt-from-log-prob';
import classIndexTargetsToSigmoidFocal from './class-index-targets-to-sigmoid-focal';
import sigmoidTrainSoftmaxInfer from './sigmoid-train-softmax-infer';
import kerasAlphaIgnored from './keras-alpha-ignored';
import probabilitiesAsLogits from './probabilities-as-logits';
import logOfProbability from './log-of-probability';
import modulatingFactorDetached from './modulating-factor-detached';
import modulatingNotAtTarget from './modulating-not-at-target';
import ptFromWeightedCe from './pt-from-weighted-ce';
import alphaOnNegatives from './alpha-on-negatives';
import alphaOffOrMissing from './alpha-off-or-missing';
import epsBelowFloat32 from './eps-below-float32';
import clampKillsGradient from './clamp-kills-gradient';
import epsBelowHalfPrecision from './eps-below-half-precision';
import swappedArguments from './swapped-arguments';
import focalMeanOverAnchors from './focal-mean-over-anchors';
import ignoreIndexInMean from './ignore-index-in-mean';
import broadcastMixesSamples from './broadcast-mixes-samples';
import smoothedPt from './smoothed-pt';
import { NUMERIC_PROBE_RULES } from './numeric-probes';

export const RULES: readonly Rule[] = [
  scalarAlphaSoftmax,
  alphaNotAlphaT,
  gammaBelowOneUnclamped,
  ptFromReducedCe,
  ptFromLogProb,
  classIndexTargetsToSigmoidFocal,
  sigmoidTrainSoftmaxInfer,
  kerasAlphaIgnored,
  modulatingNotAtTarget,
  ptFromWeightedCe,
  modulatingFactorDetached,
  alphaOnNegatives,
  alphaOffOrMissing,
  swappedArguments,
  focalMeanOverAnchors,
  ignoreIndexInMean,
  broadcastMixesSamples,
  smoothedPt,
  probabilitiesAsLogits,
  logOfProbability,
  epsBelowFloat32,
  clampKillsGradient,
  epsBelowHalfPrecision,
  ...NUMERIC_PROBE_RULES,
];

/**
 * Every rule, in code order. A new rule is one file in this folder plus one line here; its docs page
 * docs/rules/<code>.md is generated from the rule's `docs` (test/rules/docs.test.ts keeps them equal).
 */
import type { Rule } from '../core/rule';
import gammaBelowOneUnclamped from './gamma-below-one-unclamped';

export const RULES: readonly Rule[] = [gammaBelowOneUnclamped];

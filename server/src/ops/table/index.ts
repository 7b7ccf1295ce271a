/**
 * Every op, by family. A new op is one entry in one of these files (its spellings, meaning and
 * lowering together); test/ops/table.test.ts checks the table's invariants.
 */
import type { OpDef } from '../api';
import { ACTIVATIONS } from './activations';
import { AUTOGRAD } from './autograd';
import { BOXES } from './boxes';
import { CREATION } from './creation';
import { ELEMENTWISE } from './elementwise';
import { DIVERGENCE } from './divergence';
import { IMAGE } from './image';
import { INDEXING } from './indexing';
import { LAYERS } from './layers';
import { LIBRARY } from './library';
import { JOINS } from './joins';
import { LOSSES } from './losses';
import { MORE } from './more';
import { PIECES } from './pieces';
import { RANDOM } from './random';
import { SELECTION } from './selection';
import { REDUCTIONS } from './reductions';
import { SHAPE } from './shape';

export const TABLE: readonly OpDef[] = [...ACTIVATIONS, ...ELEMENTWISE, ...REDUCTIONS, ...SHAPE, ...CREATION, ...RANDOM, ...INDEXING, ...JOINS, ...LOSSES, ...LIBRARY, ...LAYERS, ...AUTOGRAD, ...MORE, ...IMAGE, ...DIVERGENCE, ...SELECTION, ...PIECES, ...BOXES];

/** The numeric probe rules' metadata and documentation (registered by the core registry). */
import { LL301 } from './LL301';
import { LL302 } from './LL302';
import { LL303 } from './LL303';
import { LL304 } from './LL304';
import { LL305 } from './LL305';
import { LL306 } from './LL306';
import { LL307 } from './LL307';
import { LL308 } from './LL308';
import { LL309 } from './LL309';

export { LL301, LL302, LL303, LL304, LL305, LL306, LL307, LL308, LL309 };

export const NUMERIC_RULES = [LL301, LL302, LL303, LL304, LL305, LL306, LL307, LL308, LL309] as const;

import { boundedChaosSuite } from './bounded-chaos';

boundedChaosSuite('documented');

import { boundedChaosSuite } from './bounded-chaos';

boundedChaosSuite('extended');

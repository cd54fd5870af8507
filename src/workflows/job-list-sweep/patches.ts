// What changed in the fleet's job-list sweep since its first release: nothing yet. Each change goes
// behind `patched('<new id>')`, so the runs open at a rollout replay on the path they were recorded on.
export {};

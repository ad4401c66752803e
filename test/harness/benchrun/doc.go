// Package benchrun is what the benchmark commands under test/harness/cmd
// (pipelinebench, snapshotbench) share, so that each command holds only
// its own workload, measurement and summary:
//
//   - Flags and Main: the flags every benchmark has (-syncer, -keep, -v)
//     and the end of main (argument check, a context that Ctrl-C and
//     SIGTERM cancel, exit status 2 on a usage error, 1 on a failure);
//   - Env: the syncer binary, a work directory, the machine's description
//     and a private MariaDB and PostgreSQL (test/harness) with a
//     connection to each, torn down again by Close;
//   - Pipeline and WritePipelines: the pipelines file of one pipeline
//     from the Env's MariaDB to its PostgreSQL;
//   - Syncer: a running `syncer run`, its output in a log file, which must
//     run until it is stopped and then exit with status 0;
//   - RowSum and Tamper: the summary of each side's rows for the
//     comparison of the target with the source, and -tamper's change of
//     the target that the comparison must then catch;
//   - Machine, SampleCPU, MemStatus and CPUMeter: the machine the figures
//     were measured on and the processes' CPU time and resident memory,
//     read from /proc;
//   - Grouped, Round and PassFail: how the figures are printed.
//
// What is timed, and against which target, stays with each command.
package benchrun

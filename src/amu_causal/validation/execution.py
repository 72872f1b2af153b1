"""Running replications on any executor: seeds, single-threaded work, progress.

A study is a list of independent tasks. Each task's random numbers come from
``numpy.random.SeedSequence(root_seed, spawn_key=(index, ...))``, which
depends only on the root seed and the task's index, so the results do not
depend on which worker runs a task, in which order, or how many workers
there are. Results come back to the calling process, which stores each one
as it arrives.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import numbers
import os
import pickle
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed

import numpy as np
import pandas as pd

from .store import StudyStore

__all__ = ["BATCH_SYSTEMS", "cluster_executor", "cluster_job_script", "dask_executor",
           "default_executor", "replication_seed", "run_study", "run_tasks", "seed_int",
           "single_threaded"]

#: Environment variables that cap the threads of BLAS, OpenMP and numba.
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                     "NUMBA_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


def check_root_seed(root_seed) -> int:
    """A validated root seed: a whole number, 0 or more."""
    if (isinstance(root_seed, bool) or not isinstance(root_seed, numbers.Integral)
            or root_seed < 0):
        raise ValueError(f"root_seed must be a whole number, 0 or more, got {root_seed!r}")
    return int(root_seed)


def replication_seed(root_seed: int, index: int, stream: int = 0) -> np.random.SeedSequence:
    """The seed of one stream of one replication.

    Parameters
    ----------
    root_seed : int
        The study's root seed.
    index : int
        Replication index, 0, 1, ...
    stream : int, default 0
        Stream within the replication (0: the register; 1, 2, ...: the
        estimators in order).

    Returns
    -------
    numpy.random.SeedSequence
        ``SeedSequence(root_seed, spawn_key=(index, stream))``: the same as
        ``SeedSequence(root_seed).spawn(index + 1)[index].spawn(stream + 1)
        [stream]``, and a function of its arguments only.

    Examples
    --------
    >>> from amu_causal.validation import replication_seed
    >>> a = replication_seed(1, 7).generate_state(1)[0]
    >>> b = replication_seed(1, 7).generate_state(1)[0]
    >>> bool(a == b), bool(a == replication_seed(1, 8).generate_state(1)[0])
    (True, False)
    """
    return np.random.SeedSequence(check_root_seed(root_seed), spawn_key=(int(index), int(stream)))


def seed_int(sequence: np.random.SeedSequence) -> int:
    """An integer seed (below 2**31 - 1) from a :class:`numpy.random.SeedSequence`."""
    return int(sequence.generate_state(1, dtype=np.uint64)[0] % (2**31 - 1))


@contextlib.contextmanager
def single_threaded() -> Iterator[None]:
    """Limit BLAS and OpenMP pools to one thread inside the block.

    Each replication runs single-threaded, so that a pool of *k* workers uses
    *k* cores and its speed-up measures the executor, not the libraries'
    own threads. (nutpie's chains are run one after another separately, with
    ``SamplerSettings(cores=1)``.)

    Yields
    ------
    None

    Examples
    --------
    >>> from amu_causal.validation import single_threaded
    >>> with single_threaded():
    ...     total = sum(range(10))
    >>> total
    45
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


def _initialise_worker() -> None:
    for name in _THREAD_VARIABLES:
        os.environ[name] = "1"


@contextlib.contextmanager
def dask_executor(address: str | None) -> Iterator[Executor | None]:
    """An executor on a Dask cluster for the length of a ``with`` block.

    Parameters
    ----------
    address : str or None
        The scheduler's address (``tcp://host:8786``). ``None`` yields
        ``None``, so a caller falls back to :func:`default_executor`.

    Yields
    ------
    concurrent.futures.Executor or None
        The client's executor; the client is closed when the block ends,
        also after an error.

    Raises
    ------
    ImportError
        If ``dask.distributed`` is not installed (``pip install
        "amu-causal[dask]"``).

    Examples
    --------
    >>> from amu_causal.validation.execution import dask_executor
    >>> with dask_executor(None) as executor:
    ...     executor is None
    True
    """
    if address is None:
        yield None
        return
    try:
        from dask.distributed import Client
    except ImportError as err:
        raise ImportError('a Dask scheduler needs dask.distributed: pip install '
                          '"amu-causal[dask]"') from err
    client = Client(address)
    try:
        yield client.get_executor()
    finally:
        client.close()


#: Batch systems a cluster can be requested from: dask-jobqueue's cluster class, and
#: its names for the job settings this package passes on (SGE and LSF say project).
BATCH_SYSTEMS = {
    "slurm": ("SLURMCluster", {"account": "account"}),
    "pbs": ("PBSCluster", {"account": "account"}),
    "sge": ("SGECluster", {"account": "project"}),
    "lsf": ("LSFCluster", {"account": "project"}),
}


def _make_cluster(kind: str, jobs: int, cores: int, **job_options):
    """A started Dask cluster of ``jobs`` x ``cores`` single-threaded workers."""
    for name, value in (("jobs", jobs), ("cores", cores)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{name} must be a positive whole number, got {value!r}")
    job_options = {k: v for k, v in job_options.items() if v is not None}
    if kind == "local":
        if job_options:
            raise ValueError(f"{sorted(job_options)} are batch-job settings; a local "
                             "cluster takes only jobs and cores")
        from dask.distributed import LocalCluster

        return LocalCluster(n_workers=jobs * cores, threads_per_worker=1, processes=True,
                            dashboard_address=None)
    cluster = _batch_cluster(kind, cores, **job_options)
    try:
        # adaptive with a fixed size: a job that ends (wall time, pre-emption) is
        # replaced, and the tasks its workers held are run again on others
        cluster.adapt(minimum_jobs=jobs, maximum_jobs=jobs)
    except BaseException:
        cluster.close()
        raise
    return cluster


def _batch_cluster(kind: str, cores: int, **job_options):
    """A dask-jobqueue cluster whose jobs run ``cores`` single-threaded workers each."""
    if kind not in BATCH_SYSTEMS:
        raise ValueError(f"unknown cluster kind {kind!r}: use 'local' or one of "
                         f"{sorted(BATCH_SYSTEMS)}")
    try:
        import dask_jobqueue
    except ImportError as err:
        raise ImportError('a batch-system cluster needs dask-jobqueue: pip install '
                          '"amu-causal[dask]"') from err
    class_name, names = BATCH_SYSTEMS[kind]
    # what is not given here comes from dask-jobqueue's own configuration
    options = {names.get(k, k): v for k, v in job_options.items() if v is not None}
    try:
        return getattr(dask_jobqueue, class_name)(cores=cores, processes=cores, **options)
    except ValueError as err:
        if "memory" not in str(err):
            raise
        raise ValueError(f"{err} (give the memory of a job, e.g. memory='16GB' or "
                         "--memory-per-job 16GB, or set it in "
                         "~/.config/dask/jobqueue.yaml)") from err


def cluster_job_script(kind: str, cores: int = 1, **job_options) -> str:
    """The batch script each job of :func:`cluster_executor` would submit (nothing submitted).

    Parameters
    ----------
    kind, cores, **job_options
        As for :func:`cluster_executor` (a batch system only); every job runs
        the same script.

    Returns
    -------
    str

    Examples
    --------
    >>> from amu_causal.validation.execution import cluster_job_script
    >>> script = cluster_job_script("slurm", cores=8, memory="16GB", walltime="02:00:00",
    ...                             queue="normal")
    >>> "--cpus-per-task=8" in script and "--nworkers 8" in script and "--nthreads 1" in script
    True
    """
    if kind not in BATCH_SYSTEMS:
        raise ValueError(f"only batch systems have a job script: {sorted(BATCH_SYSTEMS)}")
    job_options.setdefault("scheduler_options", {"dashboard_address": None})  # none needed
    cluster = _batch_cluster(kind, cores, **job_options)
    try:
        return cluster.job_script()
    finally:
        cluster.close()


@contextlib.contextmanager
def cluster_executor(kind: str, jobs: int = 1, cores: int = 1,
                     **job_options) -> Iterator[Executor]:
    """An executor on a Dask cluster started for the length of a ``with`` block.

    Parameters
    ----------
    kind : {"local", "slurm", "pbs", "sge", "lsf"}
        ``"local"``: worker processes on this machine (``dask.distributed``'s
        ``LocalCluster``). Otherwise a batch system: each job is submitted
        through dask-jobqueue and runs ``cores`` workers on one node.
    jobs : int, default 1
        Batch jobs (for ``"local"``: multiplies ``cores``).
    cores : int, default 1
        Single-threaded worker processes per job (each compiles the
        Bayesian model once and runs one replication at a time).
    **job_options
        dask-jobqueue settings of a job, e.g. ``memory="16GB"``,
        ``walltime="02:00:00"``, ``queue="normal"``, ``account="proj"``
        (passed as ``project`` to SGE and LSF),
        ``job_extra_directives=[...]``; ``None`` values and anything not given
        come from dask-jobqueue's configuration file
        (``~/.config/dask/jobqueue.yaml``). The cluster keeps ``jobs`` jobs
        running: a job that ends (its wall time, pre-emption) is replaced, and
        the tasks its workers held run again elsewhere.

    Yields
    ------
    concurrent.futures.Executor
        The client's executor; the client and the cluster (its jobs
        cancelled) are closed when the block ends, also after an error.

    Raises
    ------
    ValueError
        For an unknown kind, non-positive sizes, batch settings given to a
        local cluster, or a batch setting dask-jobqueue needs (memory) missing.
    ImportError
        Without ``dask.distributed`` or, for a batch system, ``dask-jobqueue``
        (both in ``pip install "amu-causal[dask]"``).

    Examples
    --------
    >>> from amu_causal.validation import cluster_executor
    >>> with cluster_executor("local", jobs=2) as executor:  # doctest: +SKIP
    ...     executor.submit(sum, [1, 2]).result()
    3
    """
    try:
        from dask.distributed import Client
    except ImportError as err:
        raise ImportError('a Dask cluster needs dask.distributed: pip install '
                          '"amu-causal[dask]"') from err
    cluster = _make_cluster(kind, jobs, cores, **job_options)
    try:
        with Client(cluster) as client:
            yield client.get_executor()
    finally:
        cluster.close()


#: Processes of the default pool when none is given: one (a shared server's safe choice).
DEFAULT_WORKERS = 1


def default_executor(workers: int | None = None) -> ProcessPoolExecutor:
    """A local process pool whose workers run single-threaded.

    Parameters
    ----------
    workers : int, optional
        Number of processes. Default 1: research servers are shared, and each
        worker takes a core and 1-2 GB of memory for the larger registers. Pass
        more (up to the cores you may use) to run faster; the results do not
        depend on the number.

    Returns
    -------
    concurrent.futures.ProcessPoolExecutor
        Started with the ``spawn`` method (no fork of a process that holds
        threads); each worker caps BLAS, OpenMP and numba at one thread.

    Examples
    --------
    >>> from amu_causal.validation import default_executor
    >>> pool = default_executor(workers=1)   # processes start on the first task
    >>> pool.shutdown()
    """
    if workers is None:
        workers = DEFAULT_WORKERS
    if isinstance(workers, bool) or not isinstance(workers, numbers.Integral) or workers < 1:
        raise ValueError(f"workers must be a positive whole number, got {workers!r}")
    # spawned workers inherit the environment at start: the thread caps then
    # apply before NumPy or scikit-learn load their thread pools
    saved = {name: os.environ.get(name) for name in _THREAD_VARIABLES}
    _initialise_worker()
    try:
        executor = ProcessPoolExecutor(max_workers=int(workers),
                                       mp_context=multiprocessing.get_context("spawn"),
                                       initializer=_initialise_worker)
        # start the processes now, while the caps are in the environment
        for future in [executor.submit(os.getpid) for _ in range(int(workers))]:
            future.result()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return executor


def run_tasks(function: Callable, tasks: Iterable, *, executor: Executor | None = None,
              workers: int | None = None, on_result: Callable | None = None,
              progress: bool = True, label: str = "replications", total: int | None = None,
              completed: int = 0, describe: Callable | None = None) -> int:
    """Run ``function(task)`` for every task and hand each result over as it finishes.

    Parameters
    ----------
    function : callable
        A module-level function (picklable) of one task.
    tasks : iterable
        The tasks still to run.
    executor : concurrent.futures.Executor, optional
        Where to run them: any executor, e.g. a Dask client's
        ``client.get_executor()``. By default a local process pool of
        ``workers`` processes, closed at the end.
    workers : int, optional
        Size of the default pool (default 1; ignored when ``executor`` is
        given). ``0`` runs the tasks in this process, one after another:
        for work that holds state only this process has (the latent grid's
        compiled model); ``function`` then need not be picklable.
    on_result : callable, optional
        Called in this process with ``(task, result)`` as each task
        finishes (e.g. to store it at once).
    progress : bool, default True
        Show a progress bar.
    label : str
        Text in front of the bar.
    total, completed : int, optional
        Size of the whole study and tasks already done before (for the bar).
    describe : callable, optional
        ``describe(task, result)`` gives a short text shown beside the bar
        after each task (e.g. the estimate just obtained).

    Returns
    -------
    int
        Number of tasks run.

    Notes
    -----
    If a task raises, the tasks not yet started are cancelled, results that
    arrived are kept (``on_result`` has seen them) and the error is raised.

    Examples
    --------
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> from amu_causal.validation import run_tasks
    >>> seen = []
    >>> with ThreadPoolExecutor(1) as pool:
    ...     n = run_tasks(abs, [-1, -2], executor=pool, progress=False,
    ...                   on_result=lambda task, result: seen.append(result))
    >>> n, sorted(seen)
    (2, [1, 2])
    """
    tasks = list(tasks)
    if not tasks:
        return 0
    in_process = executor is None and workers == 0
    if not in_process:
        try:  # a task that cannot travel to a worker would otherwise stall some pools
            pickle.dumps(tasks[0])
            pickle.dumps(function)
        except Exception as err:
            raise TypeError(f"the tasks cannot be sent to worker processes: {err}; use "
                            "module-level functions and picklable settings") from err
    bar = _Progress(progress, label, total if total is not None else len(tasks), completed)

    def finished(task, result) -> None:
        if on_result is not None:
            on_result(task, result)
        bar.advance(describe(task, result) if describe is not None else "")

    if in_process:
        try:
            for task in tasks:
                finished(task, function(task))
        finally:
            bar.close()
        return len(tasks)
    own = executor is None
    futures = {}
    try:
        executor = default_executor(workers) if own else executor
        futures = {executor.submit(function, task): task for task in tasks}
        for future in as_completed(futures):
            finished(futures[future], future.result())
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    finally:
        bar.close()
        if own and executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
    return len(tasks)


def run_study(store: StudyStore, size: int, make_task: Callable[[int], object],
              function: Callable, **options) -> pd.DataFrame:
    """Run the replications of a study that its store lacks, storing each as it finishes.

    The one way the package runs a study (Monte Carlo, SBC, the latent
    grid, the robustness experiment): replication *i* is
    ``function(make_task(i))``; its rows go to ``store`` the moment they
    arrive, so a stopped run loses only the replications in flight, and a
    rerun with the same store computes only the missing ones.

    Parameters
    ----------
    store : StudyStore
        Where the replications live (its key refuses another study's files).
    size : int
        Replications of the whole study, indices ``0 .. size - 1``.
    make_task : callable
        ``make_task(i)``: the task of replication ``i`` (called only for
        the missing ones).
    function : callable
        ``function(task)``: a replication's rows, a pandas DataFrame.
    **options
        Passed to :func:`run_tasks` (``executor``, ``workers``,
        ``progress``, ``label``, ``describe``).

    Returns
    -------
    pandas.DataFrame
        The rows of replications ``0 .. size - 1`` (each with its
        ``replication`` index), read back from the store.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from amu_causal.validation import StudyStore, run_study
    >>> def square(i):
    ...     return pd.DataFrame({"value": [i * i]})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     store = StudyStore(d, {"kind": "demo"})
    ...     first = run_study(store, 2, int, square, workers=0, progress=False)
    ...     rows = run_study(store, 3, int, square, workers=0, progress=False)  # runs only i = 2
    >>> list(rows["value"]), list(rows["replication"])
    ([0, 1, 4], [0, 1, 2])
    """
    missing = store.missing(size)
    describe = options.pop("describe", None)
    if describe is not None:
        options["describe"] = lambda pair, result: describe(pair[1], result)
    run_tasks(_Indexed(function), [(i, make_task(i)) for i in missing],
              on_result=lambda pair, frame: store.write(pair[0], frame),
              total=size, completed=size - len(missing), **options)
    return store.read(range(size))


class _Indexed:
    """``function`` of the task in an ``(index, task)`` pair (picklable when it is)."""

    def __init__(self, function: Callable):
        self.function = function

    def __call__(self, pair):
        return self.function(pair[1])



class _Progress:
    """A rich progress bar (or nothing)."""

    def __init__(self, show: bool, label: str, total: int, completed: int):
        self._bar = None
        if show:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), TimeRemainingColumn(),
                                 TextColumn("{task.description}"))
            self._bar.start()
            self._task = self._bar.add_task("", total=total, completed=completed)

    def advance(self, text: str = "") -> None:
        if self._bar is not None:
            self._bar.update(self._task, advance=1, description=text)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()

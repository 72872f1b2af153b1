"""Resume, refusal of other studies, and results independent of the executor."""

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

import amu_causal as ac
from amu_causal.validation import (
    MonteCarloStudy,
    StudyMismatchError,
    StudyStore,
    run_monte_carlo,
)

from . import _helpers

TIMING = ["seconds", "compile_seconds"]
N = 600


def _numbers(result):
    return (result.results.drop(columns=TIMING)
            .sort_values(["replication", "estimator", "estimand"]).reset_index(drop=True))


@pytest.fixture
def counting():
    _helpers.FITTED.clear()
    _helpers.INTERRUPT_AT[0] = None
    yield _helpers
    _helpers.FITTED.clear()
    _helpers.INTERRUPT_AT[0] = None


def test_interrupted_run_resumes_losing_and_repeating_nothing(tmp_path, counting):
    study = MonteCarloStudy("no_confounding", [_helpers.InterruptingOLS()], n=N, n_reps=5)
    counting.INTERRUPT_AT[0] = 3  # the fourth fit "kills" the run
    with ThreadPoolExecutor(max_workers=1) as pool, pytest.raises(_helpers.Interrupted):
        run_monte_carlo(study, tmp_path / "mc", executor=pool, progress=False)
    store = StudyStore(tmp_path / "mc", study.definition())
    assert store.done() == {0, 1, 2}  # what finished before the kill is on disk
    stamps = {i: store.path(i).stat().st_mtime_ns for i in store.done()}

    counting.FITTED.clear()
    counting.INTERRUPT_AT[0] = None
    with ThreadPoolExecutor(max_workers=1) as pool:
        resumed = run_monte_carlo(study, tmp_path / "mc", executor=pool, progress=False)
    assert len(counting.FITTED) == 2  # only replications 3 and 4 were run
    assert {i: store.path(i).stat().st_mtime_ns for i in stamps} == stamps  # not rewritten
    assert sorted(resumed.results["replication"].unique()) == [0, 1, 2, 3, 4]

    counting.FITTED.clear()
    with ThreadPoolExecutor(max_workers=1) as pool:
        again = run_monte_carlo(study, tmp_path / "mc", executor=pool, progress=False)
    assert counting.FITTED == []  # a finished study computes nothing new
    pd.testing.assert_frame_equal(_numbers(again), _numbers(resumed))

    with ThreadPoolExecutor(max_workers=1) as pool:
        clean = run_monte_carlo(study, tmp_path / "clean", executor=pool, progress=False)
    pd.testing.assert_frame_equal(_numbers(clean), _numbers(resumed))


def test_another_study_in_the_same_directory_is_refused(tmp_path):
    ols = [ac.OLSFixedEffects()]
    with ThreadPoolExecutor(max_workers=1) as pool:
        run_monte_carlo(MonteCarloStudy("no_confounding", ols, n=N, n_reps=1), tmp_path,
                        executor=pool, progress=False)
    for other in (MonteCarloStudy("confounding", ols, n=N, n_reps=1),
                  MonteCarloStudy("no_confounding", ols, n=N + 1, n_reps=1),
                  MonteCarloStudy("no_confounding", ols, n=N, n_reps=1, root_seed=2),
                  MonteCarloStudy("no_confounding", [ac.OLSFixedEffects(vcov="cluster")],
                                  n=N, n_reps=1)):
        with pytest.raises(StudyMismatchError, match="another study"):
            run_monte_carlo(other, tmp_path, progress=False)
    # more replications of the same study are welcome
    assert (MonteCarloStudy("no_confounding", ols, n=N, n_reps=9).key()
            == MonteCarloStudy("no_confounding", ols, n=N, n_reps=1).key())


def test_stored_results_are_never_overwritten(tmp_path):
    store = StudyStore(tmp_path, {"kind": "x"})
    store.write(0, pd.DataFrame({"a": [1]}))
    with pytest.raises(FileExistsError, match="never overwritten"):
        store.write(0, pd.DataFrame({"a": [2]}))


@pytest.mark.slow  # starts a Dask cluster
def test_same_seeds_same_results_with_one_two_workers_and_dask(tmp_path):
    from dask.distributed import Client, LocalCluster

    study = MonteCarloStudy("heterogeneous", [ac.OLSFixedEffects(), ac.DML(n_folds=2)],
                            n=N, n_reps=4, root_seed=7)
    one = run_monte_carlo(study, tmp_path / "one", workers=1, progress=False)
    two = run_monte_carlo(study, tmp_path / "two", workers=2, progress=False)
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        dask = run_monte_carlo(study, tmp_path / "dask", executor=client.get_executor(),
                               progress=False)
    assert len(one.results) > 0 and not one.results["error"].any()
    pd.testing.assert_frame_equal(_numbers(one), _numbers(two))
    pd.testing.assert_frame_equal(_numbers(one), _numbers(dask))
    # the truth of the replications differs (different registers), the estimates too
    ate = one.results[one.results["estimand"] == "ATE"]
    assert ate["truth"].nunique() == 4
    metrics = one.metrics(["ATE"])
    assert set(metrics["estimator"]) == {"OLSFixedEffects[HC1]", "DML[irm]"}
    assert (metrics["n_reps"] == 4).all()


def test_a_failing_estimator_is_recorded_not_lost(tmp_path):
    with ThreadPoolExecutor(max_workers=1) as pool:
        result = run_monte_carlo(
            MonteCarloStudy("no_confounding", [ac.DML(n_folds=500)], n=300, n_reps=2),
            tmp_path, executor=pool, progress=False)
    assert (result.results["error"] != "").all()
    assert result.metrics(["ATE"])["n_failed"].iloc[0] == 2


def test_script_writes_tables(tmp_path):
    script = Path(__file__).parents[2] / "simulations" / "monte_carlo.py"
    out = tmp_path / "mc"
    done = subprocess.run([sys.executable, str(script), "--scenario", "small_municipalities",
                           "--estimators", "ols", "--reps", "2", "--n", "2000",
                           "--workers", "1", "--out", str(out), "--no-progress"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    table = pd.read_csv(out / "summary_ATE.csv")
    assert table["replications"].tolist() == [2]
    assert (out / "errors_ATE.png").stat().st_size > 0
    rows = pd.read_parquet(out / "replications" / "rep-000000.parquet")
    assert rows["n"].iloc[0] == 500  # a quarter of the study's size


def _rows(i):
    if i == 2:
        raise RuntimeError("replication 2 fails")
    return pd.DataFrame({"value": [10 * i]})


def test_run_study_stores_what_finished_before_an_error_and_resumes(tmp_path):
    from amu_causal.validation import run_study

    store = StudyStore(tmp_path, {"kind": "demo"})
    with pytest.raises(RuntimeError, match="replication 2"):
        run_study(store, 4, int, _rows, workers=0, progress=False)
    assert store.done() == {0, 1}  # stored as they finished, before the failure
    asked = []

    def make_task(i):
        asked.append(i)
        return i + 10  # replication 2 and 3 now succeed: tasks 12, 13

    rows = run_study(store, 4, make_task, _rows, workers=0, progress=False)
    assert asked == [2, 3]  # only the missing replications are built and run
    assert list(rows["replication"]) == [0, 1, 2, 3]
    assert list(rows["value"]) == [0, 10, 120, 130]


def test_in_process_tasks_need_not_be_picklable(tmp_path):
    from amu_causal.validation import run_tasks

    state = {"compiled": 3}  # a closure over this process's state: not picklable
    seen, texts = [], []
    n = run_tasks(lambda task: task * state["compiled"], [1, 2], workers=0, progress=False,
                  on_result=lambda task, result: seen.append((task, result)),
                  describe=lambda task, result: texts.append(f"{task}:{result}") or "")
    assert n == 2 and seen == [(1, 3), (2, 6)] and texts == ["1:3", "2:6"]
    with pytest.raises(TypeError, match="cannot be sent to worker processes"):
        run_tasks(lambda task: task, [1], executor=ThreadPoolExecutor(1), progress=False)


@pytest.mark.slow
def test_a_local_dask_cluster_started_for_the_run_gives_the_numbers_of_one_worker(tmp_path):
    from amu_causal.validation import cluster_executor

    study = MonteCarloStudy("no_confounding", [ac.OLSFixedEffects()], n=N, n_reps=3,
                            root_seed=11)
    one = run_monte_carlo(study, tmp_path / "one", workers=1, progress=False)
    with cluster_executor("local", jobs=1, cores=2) as executor:
        cluster = run_monte_carlo(study, tmp_path / "cluster", executor=executor,
                                  progress=False)
    pd.testing.assert_frame_equal(_numbers(one), _numbers(cluster))


def test_batch_jobs_are_scripted_with_one_thread_per_worker():
    from amu_causal.validation import cluster_executor, cluster_job_script

    slurm = cluster_job_script("slurm", cores=8, memory="16GB", walltime="02:00:00",
                               queue="normal", account="proj")
    for line in ("#SBATCH -p normal", "#SBATCH -A proj", "#SBATCH --cpus-per-task=8",
                 "#SBATCH -t 02:00:00", "--nworkers 8", "--nthreads 1"):
        assert line in slurm
    pbs = cluster_job_script("pbs", cores=4, memory="8GB", walltime="01:00:00", queue="workq")
    assert "#PBS -q workq" in pbs and "ncpus=4" in pbs and "--nthreads 1" in pbs
    sge = cluster_job_script("sge", cores=2, memory="4GB", account="proj")
    assert "#$ -P proj" in sge  # SGE and LSF call the account a project
    import dask

    with dask.config.set({"jobqueue.slurm.memory": None}), pytest.raises(
            ValueError, match="memory of a job"):
        cluster_job_script("slurm", cores=2)  # no memory here nor in the configuration
    with pytest.raises(ValueError, match="unknown cluster kind"), cluster_executor("kubernetes"):
        pass
    with pytest.raises(ValueError, match="batch-job settings"), cluster_executor("local",
                                                                             memory="4GB"):
        pass


@pytest.mark.slow
def test_the_study_scripts_print_a_job_script_and_refuse_batch_options_locally(tmp_path):
    script = Path(__file__).resolve().parents[2] / "simulations" / "monte_carlo.py"
    base = [sys.executable, str(script), "--estimators", "ols", "--out", str(tmp_path / "x")]
    done = subprocess.run([*base, "--cluster", "slurm", "--cores-per-job", "4",
                           "--memory-per-job", "8GB", "--queue", "short", "--print-job-script"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "#SBATCH -p short" in done.stdout and "--nworkers 4" in done.stdout
    assert not (tmp_path / "x").exists()  # nothing run
    done = subprocess.run([*base, "--cluster", "local", "--queue", "short"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode != 0 and "for batch systems" in done.stderr
    done = subprocess.run([*base, "--jobs", "4"], capture_output=True, text=True, timeout=300)
    assert done.returncode != 0 and "give --cluster too" in done.stderr
    assert not (tmp_path / "x").exists()


def test_a_task_that_cannot_travel_leaves_no_progress_bar_running():
    import threading

    from amu_causal.validation import run_tasks

    before = threading.active_count()
    with ThreadPoolExecutor(1) as pool, pytest.raises(TypeError, match="cannot be sent"):
        run_tasks(lambda task: task, [1], executor=pool, progress=True)
    assert threading.active_count() == before  # no progress bar thread left behind

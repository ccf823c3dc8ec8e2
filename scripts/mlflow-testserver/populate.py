"""Fills an MLflow tracking server for the connector's integration test.

Run with MLFLOW_TRACKING_URI set to the server. Two commands:

  populate.py setup            experiments, runs, models, versions, tags,
                               a legacy stage transition and the first
                               champion alias
  populate.py alias M A V      points alias A of model M at version V

Each prints one JSON object: what it created, with the ids and the times (in
milliseconds) the server recorded, so that the test can work out by hand
what the connector should report.
"""

import json
import sys
import time
from datetime import datetime, timezone

from mlflow.tracking import MlflowClient

HOUR = 3600 * 1000
MINUTE = 60 * 1000
COMMIT = "9f2c4e1b7a3d5f60812c4e9b7a3d5f60812c4e9b"


def rfc3339(ms):
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def setup(client):
    churn = client.create_experiment("churn")
    created = client.get_experiment(churn).creation_time
    # Runs at whole hours after the experiment's creation, each lasting
    # (i+1)*10 minutes; the last one is still running.
    statuses = ["FINISHED", "FINISHED", "FAILED", "KILLED", None]
    runs = []
    for i, status in enumerate(statuses):
        start = created + i * HOUR
        tags = {"mlflow.source.git.commit": COMMIT} if i == 1 else {}
        run = client.create_run(churn, start_time=start, tags=tags)
        end = None
        if status:
            end = start + (i + 1) * 10 * MINUTE
            client.set_terminated(run.info.run_id, status=status, end_time=end)
        runs.append({"id": run.info.run_id, "start": start, "end": end, "status": status or "RUNNING",
                     "artifacts": run.info.artifact_uri})

    client.create_registered_model("churn")
    v1 = client.create_model_version("churn", runs[0]["artifacts"] + "/model", run_id=runs[0]["id"])
    v2 = client.create_model_version("churn", runs[1]["artifacts"] + "/model", run_id=runs[1]["id"])
    baseline = created + 30 * HOUR
    client.set_model_version_tag("churn", v1.version, "baseline", rfc3339(baseline))
    deployed = created + 70 * HOUR
    client.set_model_version_tag("churn", v2.version, "deployed_at", rfc3339(deployed))
    client.set_registered_model_alias("churn", "champion", v1.version)

    # A model promoted the old way, by stage.
    fraud = client.create_experiment("fraud")
    now = int(time.time() * 1000)
    frun = client.create_run(fraud, start_time=now - 2 * HOUR)
    client.set_terminated(frun.info.run_id, status="FINISHED", end_time=now - HOUR)
    client.create_registered_model("fraud")
    fv = client.create_model_version("fraud", frun.info.artifact_uri + "/model", run_id=frun.info.run_id)
    client.transition_model_version_stage("fraud", fv.version, "Production")
    staged = client.get_model_version("fraud", fv.version)

    return {
        "churn": {"experiment": churn, "created": created, "runs": runs,
                  "versions": [v1.version, v2.version], "baseline": baseline, "deployed": deployed,
                  "commit": COMMIT},
        "fraud": {"experiment": fraud, "created": client.get_experiment(fraud).creation_time,
                  "run": {"id": frun.info.run_id, "start": now - 2 * HOUR, "end": now - HOUR},
                  "version": fv.version, "staged": staged.last_updated_timestamp},
    }


def main(argv):
    client = MlflowClient()
    if argv[:1] == ["setup"]:
        out = setup(client)
    elif argv[:1] == ["alias"] and len(argv) == 4:
        client.set_registered_model_alias(argv[1], argv[2], argv[3])
        out = {"model": argv[1], "alias": argv[2], "version": argv[3]}
    else:
        sys.exit(__doc__)
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])

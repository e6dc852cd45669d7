"""AWS calls for the test rig, made with boto3 (the reference SDK) against moto or offline.

Run with the rig's venv (tests/rig/.venv, made by src-tauri/dev/setup.sh --test):

    python rig_aws.py COMMAND < request.json > answer.json

Each command reads one JSON object on stdin and prints one JSON object on stdout; the Rust side
is tests/rig/src/moto.rs. Commands:

  token                  generate_db_auth_token for {host, port, user, region, access_key,
                         secret_key, session_token?, at?}; `at` (ISO 8601, UTC) fixes the signing
                         clock. Prints {"token": ...}. Needs no endpoint: it is signing only.
  create-db-instance     CreateDBInstance (engine postgres) in moto: {endpoint_url, region, id,
                         port, iam, tags: {key: value}, engine?}. Prints {"DBInstance": ...}.
  create-db-cluster      CreateDBCluster (engine aurora-postgresql): {endpoint_url, region, id,
                         port, iam, tags}. Prints {"DBCluster": ...}.
  describe-db-instances  DescribeDBInstances, every page: {endpoint_url, region}.
                         Prints {"DBInstances": [...]}.
  describe-db-clusters   DescribeDBClusters, every page: {endpoint_url, region}.
                         Prints {"DBClusters": [...]}.
  create-db-instances    CreateDBInstance for each of {endpoint_url, region, items: [{id, port,
                         iam, tags, engine?}]} in one process. Prints {"count": n}.
  moto-data              moto's state dump (/moto-api/data.json): {endpoint_url, region}; its
                         "sts" part lists every AssumeRole call moto answered.
  assume-role            STS AssumeRole in moto: {endpoint_url, region, role_arn, session_name,
                         external_id?}. Prints {"Credentials": {AccessKeyId, SecretAccessKey,
                         SessionToken, Expiration}}. moto hands out credentials for any role
                         ARN and does not check the ExternalId against a trust policy.

Calls to moto use the fixed credentials "testing"/"testing" (moto accepts any).
"""

import datetime
import json
import sys
from unittest import mock

import boto3


def rds(req, access_key="testing", secret_key="testing", session_token=None):
    return boto3.session.Session(
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        aws_session_token=session_token,
        region_name=req["region"],
    ).client("rds", endpoint_url=req.get("endpoint_url"))


def tags(req):
    return [{"Key": k, "Value": v} for k, v in sorted(req.get("tags", {}).items())]


def token(req):
    client = rds(req, req["access_key"], req["secret_key"], req.get("session_token"))

    def generate():
        return client.generate_db_auth_token(
            DBHostname=req["host"],
            Port=req["port"],
            DBUsername=req["user"],
            Region=req["region"],
        )

    if req.get("at"):
        # botocore's SigV4 signers read the time here; a naive datetime is taken as UTC.
        at = datetime.datetime.fromisoformat(req["at"].replace("Z", "+00:00"))
        at = at.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        with mock.patch("botocore.auth.get_current_datetime", return_value=at):
            return {"token": generate()}
    return {"token": generate()}


def create_db_instance(req):
    answer = rds(req).create_db_instance(
        DBInstanceIdentifier=req["id"],
        DBInstanceClass="db.t3.micro",
        Engine=req.get("engine", "postgres"),
        MasterUsername="rig_master",
        MasterUserPassword="rig-master-password",
        AllocatedStorage=20,
        Port=req["port"],
        EnableIAMDatabaseAuthentication=req.get("iam", True),
        Tags=tags(req),
    )
    return {"DBInstance": answer["DBInstance"]}


def create_db_instances(req):
    for item in req["items"]:
        create_db_instance(dict(item, endpoint_url=req["endpoint_url"], region=req["region"]))
    return {"count": len(req["items"])}


def moto_data(req):
    import urllib.request

    with urllib.request.urlopen(req["endpoint_url"] + "/moto-api/data.json") as r:
        return json.load(r)


def create_db_cluster(req):
    answer = rds(req).create_db_cluster(
        DBClusterIdentifier=req["id"],
        Engine="aurora-postgresql",
        MasterUsername="rig_master",
        MasterUserPassword="rig-master-password",
        Port=req["port"],
        EnableIAMDatabaseAuthentication=req.get("iam", True),
        Tags=tags(req),
    )
    return {"DBCluster": answer["DBCluster"]}


def assume_role(req):
    sts = boto3.session.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name=req["region"],
    ).client("sts", endpoint_url=req["endpoint_url"])
    args = {"RoleArn": req["role_arn"], "RoleSessionName": req["session_name"]}
    if req.get("external_id"):
        args["ExternalId"] = req["external_id"]
    return {"Credentials": sts.assume_role(**args)["Credentials"]}


def describe(req, operation, key):
    pages = rds(req).get_paginator(operation).paginate()
    return {key: [item for page in pages for item in page[key]]}


COMMANDS = {
    "token": token,
    "create-db-instance": create_db_instance,
    "create-db-cluster": create_db_cluster,
    "create-db-instances": create_db_instances,
    "moto-data": moto_data,
    "describe-db-instances": lambda r: describe(r, "describe_db_instances", "DBInstances"),
    "describe-db-clusters": lambda r: describe(r, "describe_db_clusters", "DBClusters"),
    "assume-role": assume_role,
}

if __name__ == "__main__":
    request = json.load(sys.stdin)
    # Timestamps in answers (InstanceCreateTime, ...) print as text.
    json.dump(COMMANDS[sys.argv[1]](request), sys.stdout, default=str)

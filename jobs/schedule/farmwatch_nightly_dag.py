"""Airflow DAG: the farmwatch nightly run on a Spark cluster, once a day.

spark-submit is called through jobs/farmwatch, which adds the JDK 17 --add-opens flags and the GDAL
JNI library path for driver and executors. Exit code 5 (another run holds the region's lock) skips
the task instead of failing it.
"""
from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator

with DAG(
    dag_id="farmwatch_nightly",
    schedule="15 2 * * *",
    start_date=datetime(2025, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=20)},
    tags=["farmwatch"],
) as dag:
    BashOperator(
        task_id="nightly",
        bash_command=(
            "cd /opt/farmwatch && "
            "SPARK_HOME=/opt/spark jobs/farmwatch nightly --conf /etc/farmwatch/nightly.conf "
            "--master {{ var.value.get('farmwatch_spark_master', 'yarn') }}"
        ),
        skip_on_exit_code=5,
        execution_timeout=timedelta(hours=6),
    )

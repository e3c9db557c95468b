"""The `autonomys` command: one group, every command group of cli/ registered here. Errors print a message,
never a traceback; commands that need Ray import it when they run."""

from __future__ import annotations

from importlib.metadata import version

import click

from autonomys.cli import (
    agents,
    ai,
    ai_rewards,
    cluster,
    credentials,
    devnet,
    domain,
    domain_watch,
    farm,
    identity,
    objects,
    plots,
    pot,
    provenance,
    state,
    train,
)


@click.group()
@click.version_option(version("autonomys"), prog_name="autonomys")
def main() -> None:
    """Autonomys node: proof-of-time, archiving, farming and the local network on Ray."""


main.add_command(devnet.devnet)
main.add_command(pot.pot)
main.add_command(farm.plot)
main.add_command(farm.farm)
main.add_command(farm.history)
farm.farm.add_command(plots.farm_summary)
main.add_command(plots.plots)
main.add_command(plots.benchmark)
main.add_command(cluster.status)
main.add_command(cluster.plotters)
main.add_command(objects.put)
main.add_command(objects.get)
main.add_command(objects.gateway)
main.add_command(state.state)
main.add_command(domain.domain)
domain.domain.add_command(domain_watch.watch)
main.add_command(identity.identity)
main.add_command(provenance.verify)
main.add_command(credentials.credential)
main.add_command(agents.agent)
main.add_command(train.train)
main.add_command(ai.ai)
ai.ai.add_command(ai_rewards.value)
ai.ai.add_command(ai_rewards.example_data)

if __name__ == "__main__":
    main()

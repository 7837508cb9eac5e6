using System.CommandLine;
using Cnnc.Cli;
using Cnnc.Cli.Commands;

var root = new RootCommand("cnnc — compare CNN models: architectures, weights, predictions, evaluation, explanations.");
root.Subcommands.Add(ModelsCommand.Create());
root.Subcommands.Add(PredictCommand.Create());
root.Subcommands.Add(ZooCommand.Create());
root.Subcommands.Add(EvaluateCommand.Create());
root.Subcommands.Add(DataCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(DistributionCommand.Create());
root.Subcommands.Add(SimilarityCommand.Create());
root.Subcommands.Add(ContoursCommand.Create());
root.Subcommands.Add(ExplainCommand.Create());
root.Subcommands.Add(ReportCommand.Create());
root.Subcommands.Add(DoctorCommand.Create());
return await CliRunner.RunAsync(root, args);

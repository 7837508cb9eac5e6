using System.CommandLine;

namespace Cnnc.Cli.Commands;

internal static class PredictCommand
{
    public static Command Create() => new("predict", "Top-5 classes of one image or tensor (being written).");
}

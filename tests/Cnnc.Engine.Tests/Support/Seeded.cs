using TorchSharp;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Support;

/// <summary>
/// Reproducible random values from a private generator. <c>manual_seed</c> seeds libtorch's one process-wide
/// generator, which test classes running in parallel draw from at the same time: two models "built from the same
/// seed" then differ whenever another test's draw falls between the seed and the initialisation.
/// </summary>
internal static class Seeded
{
    /// <summary>Standard-normal values of <paramref name="shape"/> from a generator of its own.</summary>
    public static Tensor Randn(ulong seed, params long[] shape)
    {
        using var generator = new Generator(seed);
        return randn(shape, generator: generator);
    }

    /// <summary>Overwrites every parameter with N(0, <paramref name="scale"/>²) values drawn from a generator of its own.</summary>
    public static T Parameters<T>(T module, ulong seed, double scale = 0.5) where T : nn.Module
    {
        using var generator = new Generator(seed);
        using var _ = no_grad();
        foreach (var (_, parameter) in module.named_parameters())
        {
            using var values = randn(parameter.shape, generator: generator);
            parameter.copy_(values.mul_(scale));
        }
        return module;
    }
}

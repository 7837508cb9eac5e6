using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace Cnnc.Engine.Data;

/// <summary>Writes images given as float tensors C×H×W in [0, 1] (C = 1 or 3) as PNG.</summary>
public static class ImageEncoder
{
    /// <summary>Encodes a [0, 1] image tensor as PNG bytes (values are clamped).</summary>
    public static byte[] Png(Tensor image)
    {
        if (image.dim() != 3 || image.shape[0] is not (1 or 3))
            throw new ArgumentException($"Expected an image C×H×W with C = 1 or 3, got [{string.Join("x", image.shape)}].");
        using var scope = NewDisposeScope();
        var bytes = image.detach().cpu().clamp(0, 1).mul(255).round().to_type(ScalarType.Byte).permute(1, 2, 0).contiguous();
        var (h, w) = ((int)image.shape[1], (int)image.shape[2]);
        using Image picture = image.shape[0] == 1
            ? Image.LoadPixelData<L8>(bytes.data<byte>().ToArray(), w, h)
            : Image.LoadPixelData<Rgb24>(bytes.data<byte>().ToArray(), w, h);
        return Rendering.Png.Encode(picture);
    }

    /// <summary>Writes a [0, 1] image tensor to a PNG file (atomically).</summary>
    public static void SavePng(Tensor image, string path)
    {
        var png = Png(image);
        IO.AtomicFile.Write(path, s => s.Write(png));
    }
}

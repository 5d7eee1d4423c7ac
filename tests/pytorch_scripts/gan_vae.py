"""A script as written for PyTorch (run with argument "torch"), run with ``import tinynn as torch`` (argument
"tinynn") by tests/test_pytorch_scripts.py: the same lines, only the imports chosen by the argument."""
import sys
if sys.argv[1] == "tinynn":
    import tinynn as torch
    import tinynn.nn as nn
    import tinynn.optim as optim
    import tinynn.nn.functional as F
else:
    import torch
    import torch.nn as nn
    import torch.optim as optim
    import torch.nn.functional as F
torch.manual_seed(1)
nz, ngf, ndf = 8, 4, 4
def weights_init(m):
    classname = m.__class__.__name__
    if classname.find('Conv') != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif classname.find('BatchNorm') != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)
class Generator(nn.Module):
    def __init__(self):
        super(Generator, self).__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 2, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, 1, 4, 2, 1, bias=False), nn.Tanh())
    def forward(self, input):
        return self.main(input)
class Discriminator(nn.Module):
    def __init__(self):
        super(Discriminator, self).__init__()
        self.main = nn.Sequential(
            nn.Conv2d(1, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, 1, 4, 1, 0, bias=False), nn.Sigmoid())
    def forward(self, input):
        return self.main(input)
netG, netD = Generator(), Discriminator()
netG.apply(weights_init); netD.apply(weights_init)
criterion = nn.BCELoss()
fixed_noise = torch.randn(4, nz, 1, 1)
optimizerD = optim.Adam(netD.parameters(), lr=0.0002, betas=(0.5, 0.999))
optimizerG = optim.Adam(netG.parameters(), lr=0.0002, betas=(0.5, 0.999))
real = torch.rand(6, 1, 8, 8) * 2 - 1
for i in range(3):
    netD.zero_grad()
    b_size = real.size(0)
    label = torch.full((b_size,), 1.0, dtype=torch.float)
    output = netD(real).view(-1)
    errD_real = criterion(output, label); errD_real.backward(); D_x = output.mean().item()
    noise = torch.randn(b_size, nz, 1, 1)
    fake = netG(noise)
    label.fill_(0.0)
    output = netD(fake.detach()).view(-1)
    errD_fake = criterion(output, label); errD_fake.backward()
    errD = errD_real + errD_fake
    optimizerD.step()
    netG.zero_grad(); label.fill_(1.0)
    output = netD(fake).view(-1)
    errG = criterion(output, label); errG.backward(); optimizerG.step()
with torch.no_grad():
    sample = netG(fixed_noise).detach().cpu()
print("gan", tuple(sample.shape), errD.item() > 0, errG.item() > 0, round(D_x, 1) >= 0)
class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(16, 8); self.fc21 = nn.Linear(8, 2); self.fc22 = nn.Linear(8, 2)
        self.fc3 = nn.Linear(2, 8); self.fc4 = nn.Linear(8, 16)
    def encode(self, x):
        h1 = F.relu(self.fc1(x)); return self.fc21(h1), self.fc22(h1)
    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar); eps = torch.randn_like(std); return mu + eps * std
    def decode(self, z):
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))
    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 16)); z = self.reparameterize(mu, logvar); return self.decode(z), mu, logvar
def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 16), reduction='sum')
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD
vae = VAE(); opt = optim.Adam(vae.parameters(), lr=1e-3)
x = torch.rand(5, 4, 4)
for _ in range(3):
    opt.zero_grad(); recon, mu, logvar = vae(x); loss = loss_function(recon, x, mu, logvar); loss.backward(); opt.step()
print("vae", loss.item() > 0, tuple(recon.shape))

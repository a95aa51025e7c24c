/**
 * The cause rules, as data: for each cause, the phrases a Brazilian customer writes when that is what went
 * wrong. Phrases are matched against the normalised text (see normalise.ts: lower case, no accents, chat
 * abbreviations spelt out), so they are written that way too.
 *
 * Phrase syntax (compiled by classify.ts):
 * - words separated by spaces must follow one another;
 * - `word*` is any word starting with `word` ("atras*": atraso, atrasado, atrasou);
 * - `(a|b*)` is one out of several, each a word or words (`(nota fiscal|nf)`); `[a|b]` is one of them or none;
 * - `…` lets up to three small words sit between (articles, pronouns, "ainda", "produto", "pedido" …: the
 *   FILLERS below), so "nao … receb*" finds "não recebi", "ainda não recebi" and "não recebi o produto", but
 *   not "não gostei, recebi quebrado";
 * - `~` lets up to two words of any kind sit between;
 * - `#` is a number ("falta 1").
 * A phrase never reaches across a clause (a full stop, comma, "!" …).
 *
 * Two kinds of phrase:
 * - `phrases` carry their own polarity ("nao recebi", "fora do prazo"): they count wherever they appear;
 * - `negatable` words state a fact that a negation nearby reverses: "atrasou" is a delay, "não atrasou" and
 *   "sem atraso" are not. Such a word does not count when one of NEGATORS stands among the three words
 *   before it in the same clause, unless one of NEGATION_ENDS stands between ("nunca vi demorar tanto").
 * A phrase may list `unless`: phrases that, right after the match (small words skipped), show it means
 * something else ("não recebi resposta" is no delay: it is service); and `unlessAfter`: phrases that do the
 * same from earlier in the clause ("pedi o reembolso e até agora nada" is no delay either).
 */
import type { Cause } from './causes.js';

export interface Cue {
  readonly phrase: string;
  /** Phrases that, right after the match (small words skipped), show it means something else. */
  readonly unless?: readonly string[];
  /** Phrases that, earlier in the same clause, show it means something else ("pedi reembolso e até agora nada"). */
  readonly unlessAfter?: readonly string[];
  /**
   * `not_received`: the goods have not come. Such a delay cue does not count when a `partial` cue of
   * wrong_or_missing is found too: "recebi só um, o outro não chegou" is a part of the order missing.
   */
  readonly kind?: 'not_received' | 'partial';
}

export interface CauseRules {
  readonly cause: Cause;
  readonly phrases: readonly (string | Cue)[];
  readonly negatable: readonly string[];
}

/** Words that reverse a negatable word among the three before it: "não atrasou", "sem defeito", "nunca demorou". */
export const NEGATORS: readonly string[] = ['nao', 'nem', 'sem', 'nunca', 'jamais', 'nenhum', 'nenhuma'];

/**
 * Words that end a negation's reach before the word it would reverse: "nunca vi demorar tanto" and "não
 * esperava tanta demora" complain of a delay.
 */
export const NEGATION_ENDS: readonly string[] = ['vi', 'visto', 'imaginei', 'imaginava', 'pensei', 'esperava', 'acredito', 'acreditei'];

/**
 * The small words of a `…`: articles, pronouns, auxiliaries, time words, and the nouns for the order itself.
 * An `unless` skips only these, so that "não recebi o produto nem resposta" is still a delay.
 */
export const SMALL_WORDS: readonly string[] = [
  'o', 'a', 'os', 'as', 'um', 'uma', 'me', 'se', 'lhe', 'nos', 'te', 'foi', 'foram', 'fui', 'tinha', 'tem', 'havia', 'esta', 'estava', 'estao', 'estou',
  'ser', 'sido', 'ter', 'tenha', 'teve', 'ainda', 'ate', 'hoje', 'agora', 'mesmo', 'sequer', 'ja', 'mais', 'la', 'aqui', 'de', 'do', 'da', 'no', 'na', 'nos', 'nas', 'meu',
  'minha', 'meus', 'minhas', 'seu', 'sua', 'este', 'esse', 'essa', 'isso', 'consegui', 'conseguiu', 'conseguiram', 'conseguindo', 'produto',
  'produtos', 'pedido', 'pedidos', 'mercadoria', 'encomenda', 'compra', 'item', 'itens',
];

/** The words a `…` may skip: SMALL_WORDS, and "e", "nem", "com" and the verbs of delivery. */
export const FILLERS: readonly string[] = [...SMALL_WORDS, 'e', 'nem', 'com', 'entrega', 'entregue', 'entregues', 'chegou', 'veio'];

/** What the customer gets or got back instead of the goods: "não recebi" + one of these is not about delivery. */
const NOT_THE_GOODS = [
  'resposta*', 'retorno', 'contato', 'email*', 'mensage*', 'reembols*', 'estorn*', 'dinheiro', 'nota', 'nenhum*', 'ligac*', 'informac*', 'autorizac*', 'justificativa', 'posic*',
  'satisfac*', 'solucao', 'troca', 'devolu*', 'credito', 'valor', 'codigo', 'boleto', 'cupom',
];

/** Words after "não recebi/veio …" that say a PART of the order is missing or the wrong thing came: not a delay of the whole. */
const PART_OF_THE_ORDER = [
  'correto', 'correta', 'certo', 'certa', 'errado', 'errada', 'completo', 'completa', 'inteiro', 'todos', 'todas', 'tudo', 'restante', 'resto',
  'outro', 'outra', 'outros', 'outras', 'segundo', 'segunda', 'demais', 'igual', 'conforme', 'funcion*', 'ligar', 'usar', 'autorizac*',
];

/** Requests to the store: a "até agora nada" after one of these is about the request, not the parcel. */
const REQUESTS = ['reembols*', 'estorn*', 'troca', 'trocar', 'devolu*', 'devolver', 'cancel*', 'contato', 'reclam*', 'resposta', 'solicit*', 'pedi', 'email*', 'mensage*', 'protocolo'];

/** What a customer awaits that is not the parcel: an answer, a solution, a refund. */
const AWAITED_NOT_THE_GOODS = [
  'resposta', 'retorno', 'posic*', 'solucao', 'providencia*', 'devolu*', 'reembols*', 'estorn*', 'troca', 'contato', 'para', 'orientac*', 'instruc*',
  'codigo', 'autorizac*', 'tratativa', 'analise', 'credito', 'dinheiro',
];

/** Money back, exchange, return, cancellation: trouble when a "not yet" or "cannot" goes with them. */
const REMEDIES = '(reembols*|estorn*|ressarc*|troca|trocar|devolu*|devolver|cancelamento|cancelar|dinheiro)';

/** Parts and accessories a customer says did not come with the product. */
const PARTS = '(peca*|acessorio*|parafuso*|manual|carregador|cabo|controle|tampa*|kit|item|itens|unidade*|outro|outra|outros|outras|restante|resto|segundo|segunda|bateria|pilha*|fonte|capa*|pe|pes|suporte*|refil|brinde|par)';

export const CAUSE_RULES: readonly CauseRules[] = [
  {
    cause: 'delay',
    phrases: [
      // Not (yet) delivered, never delivered: the commonest complaint, in its many verbs.
      { phrase: '(nao|nem|nunca|jamais) [tentaram|tentou] … (cheg*|receb*|entreg*)', unless: [...NOT_THE_GOODS, ...PART_OF_THE_ORDER], kind: 'not_received' },
      {
        phrase: '(nao|nem|nunca) … (enviad*|enviou|enviaram|despach*|postad*|postaram|mandaram|saiu)',
        unless: [...NOT_THE_GOODS, ...PART_OF_THE_ORDER, PARTS],
        kind: 'not_received',
      },
      { phrase: 'entrega nao [foi] (realizada|efetuada|feita)', kind: 'not_received' },
      { phrase: 'nada de (chegar|receber|entrega*)', kind: 'not_received' },
      // Marked as delivered, but it is not here.
      { phrase: '(consta*|aparece|mostra|diz|marca*|informa*) … como (entregue|recebid*)', kind: 'not_received' },
      { phrase: 'entregue (a|para|em) (outra|outro)', kind: 'not_received' },
      // Still waiting.
      { phrase: '(ainda|continuo|sigo|estou) (aguard*|esperand*)', unless: AWAITED_NOT_THE_GOODS },
      '(aguard*|esperand*) … (chegada|entrega)',
      { phrase: '(ate|e|mas|porem) [ate] [o] (hoje|agora|momento|ainda) nada', unlessAfter: REQUESTS },
      'nada (do|de) (produto|pedido|entrega|mercadoria|encomenda)',
      '(quero|preciso|queria) [receber] [o|a] (meu|minha|o|a) (produto|pedido|encomenda|mercadoria|compra)',
      'cade',
      'sem previsao',
      // Out of stock after the sale: it never comes.
      '(sem|nao … tem|nao … tinha*|nao … havia|falta de|fora de) estoque',
      '(nao|nem) (tinha|teve|tem|havia|tinham|tiveram) [a|o] (mercadoria|produto|item)',
      // Lost in transit or sent back: it never arrives.
      'extravi*',
      '(devolv*|volt*|retorn*|mandaram|enviaram) ~ remetente',
      // Not brought to the door.
      '(buscar|retirar) … (no|na|nos|em) (correio*|agencia|ag)',
      '(deixaram|deixou|ficou|esta|estava) (no|na|nos) (correio*|agencia)',
      // The promised date broken.
      'fora (do|de) prazo',
      '(depois|apos|alem) (do|da|de|o|a) (prazo|data)',
      'passou (do|o|a|dos|das) (prazo|data|dias|dia)',
      '(prazo|data) … (passou|venc*|expir*|estour*|esgot*|termin*|acab*|ultrapass*|excedid*)',
      '(ultrapass*|exced*|extrapol*|estour*|venc*|expir*|esgot*) … (prazo|data)',
      '(nao|nunca) (cumpr*|respeit*|honr*) … (prazo|data)',
      '(prazo|data) ~ nao [foi] (cumprid*|respeitad*)',
      '(pessimo|longo|grande) prazo',
      'prazo [muito|bem|e] (longo|grande|extenso)',
      '(mais|falta de|sem|pouca) (agilidade|rapidez|pontualidade)',
      // Came, but late.
      'chegou [muito] (tarde|depois)',
      '(so|somente|apenas) [foi] (chegou|recebi|entregaram|veio|entregue) (hoje|agora|dia|no|em|depois|apos|semana|mes)',
      '(entrega|envio|transporte|frete) [muito|extremamente|bem] (lent*|demorad*)',
      '(dias|semanas|semana|mes|meses) (para|pra|ate) (chegar|receber|entregar|entrega|vir)',
      // Tracking that shows nothing: the customer is chasing a parcel.
      'rastre*',
    ],
    negatable: ['atras*', 'demor*', 'lentid*'],
  },
  {
    cause: 'wrong_or_missing',
    phrases: [
      // The wrong thing came.
      '(outro|outra) (produto|modelo|item|cor|tamanho|marca|sabor)',
      '(produto|modelo|cor|tamanho|voltagem|numero|numeracao|marca|quantidade|sabor) (diferente|errad*|trocad*|incorret*)',
      {
        phrase: '(veio|chegou|recebi|enviaram|mandaram) [um|uma|o|a] [produto] diferente',
        unless: ['(do|da|de|ao|a|das|dos) ~ (foto*|anunci*|descri*|imagem|imagens|site|propaganda|mostra*|especifica*|oferta)'],
      },
      '(veio|vem|vieram|recebi|chegou|chega|enviaram|enviado|mandaram|mandado|entregou|entregaram|entrega|entregam|fornecido) … (outro|outra|outros|outras)',
      '(diferente|difere|diferem|desacordo) (do|da|de|com) [o|a] [que] (pedido|comprado|compra|solicitado|comprei|pedi|encomendei)',
      'nao (e|era) (o|a) (produto|modelo|cor|tamanho|item) [que] (comprei|pedi|encomendei|solicitei)',
      'nao (e|era) o que (comprei|pedi|encomendei)',
      '(nao|nunca) … (veio|vieram|enviou|enviaram|mandou|mandaram|entregou|entregaram|recebi) … (correto|correta|corretos|certo|certa)',
      '(nao|nunca) (veio|vieram|enviou|enviaram|mandou|mandaram) … que (pedi|comprei|solicitei|encomendei)',
      // "Comprei na cor preta e chegou na cor vermelha": a low score that names what came means it was not what was ordered.
      '(veio|chegou|recebi|entregaram|entregam|mandaram|enviaram) (na|no|em) (cor|tamanho|voltagem|modelo|numero|numeracao)',
      // Part of the order missing.
      'faltando',
      '(faltou|faltaram|faltam)',
      'falta (um|uma|o|a|os|as|peca*|item|itens|parte*|produto*|acessorio*|parafuso*|#|receber|chegar|vir)',
      'nao (veio|vieram|vem|chegou|chegaram|acompanha*|mandaram|enviaram|consta*|recebi) … ' + PARTS,
      { phrase: '(nao|nunca) … receb* … (todos|todas|restante|resto|outro|outra|outros|outras|segundo|segunda|demais|tudo)', kind: 'partial' },
      {
        phrase:
          '(so|somente|apenas) [foi|foram] (veio|vieram|vem|recebi|recebemos|chegou|chegaram|mandaram|enviaram|entregaram|entregue|entregues|tinha) (um|uma|1|2|3|4|5|dois|duas|tres|parte|metade|o|a|os|as)',
        kind: 'partial',
      },
      {
        phrase: '(recebi|recebemos|veio|vem|chegou|chegaram|vieram|entregaram|entregue|entregues) (so|somente|apenas) (um|uma|1|2|3|4|5|dois|duas|tres|parte|metade|o|a|os|as)',
        kind: 'partial',
      },
      { phrase: '(recebi|veio|chegou|chegaram|vieram|entregaram) (#|um|uma|dois|duas|tres) (dos|das)', kind: 'partial' },
      { phrase: '(um|uma) (deles|delas|dos|das|produto|item|peca|unidade|kit) ~ ~ (nao|nunca) (cheg*|veio|vieram|receb*|entreg*)', kind: 'partial' },
      { phrase: '(recebi|veio|chegou) (metade|parte)', kind: 'partial' },
      { phrase: '(veio|chegou|compra|pedido|encomenda) pela metade', kind: 'partial' },
      { phrase: '(parcialmente|entrega parcial|pedido parcial)', kind: 'partial' },
      '(veio|vieram|vem|chegou|chegaram) sem … ' + PARTS,
      { phrase: '(demais|restante (do|dos|da|das)) (produtos|itens|pecas|unidades|pedido|compra)', kind: 'partial' },
      '(caixa|caixinha|envelope|embalagem|pacote) vazi*',
    ],
    negatable: ['errad*', 'trocad*', 'incomplet*'],
  },
  {
    cause: 'product_quality',
    phrases: [
      // Does not work.
      'nao [esta|estava|estao|ta] (funcion*|liga|ligou|carreg*|encaix*|serve|serviu|presta|prestou|acend*|esquent*|gel*|fech*|cabe|coube|conect*|reconhec*|fixa|segura|aquec*|corta|cortou|cobre|cobriu|le|cola|grava|toca|sai)',
      'parou [de] (funcionar|ligar|carregar)',
      'nao chegou a (funcionar|ligar)',
      '(mal|mau) funcionamento',
      '(nao|sem) ~ funcionamento',
      // Not what the listing showed.
      'nao (e|era) (original|genuino)',
      'nao (e|era) ~ (igual|como|conforme|mesmo|mesma) … (foto*|anunci*|descri*|imagem|site|propaganda|mostra*|parece)',
      '(nao [se] parece|nada a ver) (com|a|ao|as|aos) ~ (foto*|anunci*|imagem|imagens|descri*)',
      'diferente (do|da|de|das|dos|ao|a) [que] ~ ~ (foto*|anunci*|descri*|imagem|imagens|site|propaganda|mostra*|especifica*|oferta)',
      'nao … (conforme|condiz*) … (site|anunci*|foto*|descri*|imagem|propaganda|oferta)',
      'nao (corresponde|condiz|confere|bate)',
      'fora (da|de|das) especifica*',
      'propaganda enganosa',
      '(enganos*|enganacao)',
      '(anunci*|propaganda|descri*|foto*|site) … engan*',
      'gato por lebre',
      '(menor|maior|pequen*|fino|fina|curto|curta) ~ [do] (que|da|do) … (foto*|anunci*|descri*|imagem|esperad*|pensei|parece|mostra*|informad*)',
      'tamanho [e|muito|bem] (pequeno|grande|menor|maior)',
      '(ficou|ficaram) [muito|bem] (pequen*|grande*|apertad*|curt*|larg*)',
      'nao (e|era|foi) [bem] o que [eu] esperava',
      'nao e tudo (isso|aquilo)',
      'esperava mais',
      'abaixo (do|da) (esperad*|expectativa*)',
      'nao … (atend*|correspond*) … expectativa*',
      // Poor quality.
      '(qualidade|material|acabamento|tecido|costura|som) … [e|muito|bem|extremamente] (ruim|pessim*|inferior|horrivel|baixa|fraco|fraca|duvidosa|precaria|vagabund*)',
      '(qualidade|material|produto) … deixa a desejar',
      '(pessima|baixa|ma|horrivel|baixissima|sem) qualidade',
      // "Porcaria de vendedor" is about the store, not the goods.
      { phrase: '(porcaria|lixo)', unless: ['(vendedor|loja|empresa|site|atendimento|entrega|transportadora|correio*|servico)'] },
      'vagabund*',
      'camelo',
      '(mal|mau) (feito|acabad*|costurad*|embalad*)',
      'produto [e|muito|bem] (ruim|pessimo|horrivel|fraco|inferior|frageil|fragil)',
      '(ruim|pessimo|horrivel|pessima) (o|esse|este|do) produto',
      '(fino|fina|fraco|fraca|pequeno|pequena|leve|fragil|frageis) demais',
      'muito (fino|fina|fraco|fraca|fragil|frageis)',
      '(nao gostei|insatisfeit*|nao fiquei satisfeit*) (do|da|dos|das|com) [o|a] (produto|qualidade|material|cor|tecido|acabamento|modelo)',
      'nao vale (o|a) (pena|preco|que)',
      'dinheiro jogado fora',
      '(embalagem|caixa|lacre) (aberta|aberto|violada|violado|danificada|amassada|rasgada|rompido)',
    ],
    negatable: [
      'defeit*', 'quebr*', 'danific*', 'estragad*', 'rasgad*', 'amassad*', 'trincad*', 'rachad*', 'riscad*', 'arranhad*', 'furad*', 'furos', 'manchad*',
      'vazand*', 'vazamento', 'avaria*', 'descascand*', 'desbotad*', 'enferrujad*', 'mofad*', 'falsificad*', 'falso', 'falsa', 'pirata',
      'replica', 'paralel*', 'usad*', 'fragil', 'frageis', 'validade', 'vencido', 'ruido*', 'chiad*',
    ],
  },
  {
    cause: 'service',
    phrases: [
      // No answer, nobody solves it.
      'sem [nenhum|nenhuma|qualquer] (resposta|retorno|solucao|posicionamento|atendimento|contato|satisfacao|suporte|ajuda|justificativa)',
      '(nao|nunca|ninguem) … (respond*|retorn*|resolv*|solucion*|ajud*|posicion*)',
      '(nenhum|nenhuma) (retorno|contato|resposta|posicionamento|esclarecimento|solucao|satisfacao|informac*|justificativa)',
      '(nao|nem) … [quer] … (recebi|tive|tenho|obtive|obtivemos|deram|da|dao|deu|consigo|consegui|conseguimos) … (resposta|retorno|satisfacao|informac*|notificac*|autorizac*|solucao|suporte|justificativa|posicionamento|posic*|contato|falar|estorn*|reembols*|ressarc*|credito)',
      '(nao|nunca) (consigo|consegui|conseguimos|conseguindo) [fazer|entrar|realizar] [a|o|em] (falar|contato|resolver|trocar|devolver|cancelar|troca|devolucao|cancelamento|reembolso)',
      '(tentei|tento|tentando|tentamos|tentativa*) ~ ~ ' + REMEDIES,
      '(aguard*|esperand*|no aguardo) … (resposta|retorno|posic*|posicionamento|solucao|providencia*|contato|tratativa)',
      '(ninguem|nenhuma) (resolve|responde|atende|ajuda|explica|informa)',
      // Money back, exchange, return or cancellation that does not happen.
      REMEDIES + ' ~ ~ (ate agora|ate hoje|ate o momento|ainda nao|nada|nao foi|nao e|nao pode|nao foi feit*|nao consigo|sem sucesso)',
      '(nao consigo|nao consegui|dificil|impossivel|nao possibilita|nao permite) … ' + REMEDIES,
      '(cancelaram|cancelou|cancela|cancelam) … (compra|pedido)',
      '(pedido|compra) [foi] cancelad*',
      'nao (cancelaram|cancelou|aceitaram|aceitou)',
      // Billing and invoices.
      '(cobranca|cobrado|cobrada|cobraram|cobrou) (indevid*|duplicad*|dobrad*|a mais|duas vezes|errad*)',
      '(descontad*|debitad*|cobrad*) … (mesmo|sem) … (estoque|receber|entrega)',
      '(sem|nem|nao) ~ (nota fiscal|nota|nf|nfe)',
      // Chasing the store.
      'atendimento',
      'sac',
      '(pessimo|ruim|horrivel) (suporte|pos venda*)',
      'pos venda*',
      '(tentei|tento|tentando|tentamos) ~ ~ contato',
      'reclame aqui',
      'procon',
      'descaso',
    ],
    negatable: [],
  },
];

(function(){
'use strict';
// glassbox explore: the page over the JSON API of the same server (README, "Explorer"). Every view
// shows numbers the server's analyses computed; this script only draws them. The body's
// data-ex-state is "ready" when the views are drawn, "busy" while a request runs, "error" after one failed.
var $=function(id){return document.getElementById(id);};
var body=document.body,status=$('status'),hover=$('hover');
var state={model:null,prompt:null,target:null,layer:0,head:0,attention:null,pick:null,seq:0};
var sliders=['temperature','top-k','top-p','min-p','repetition-penalty'];

function setState(s,msg,err){body.setAttribute('data-ex-state',s);status.textContent=msg||'';status.classList.toggle('err',!!err);}
async function api(path,req){
  var r=await fetch('/api/'+path,req===undefined?{}:{method:'POST',headers:{'Content-Type':'application/json'},body:JSON.stringify(req)});
  var j=await r.json();
  if(!r.ok){throw new Error(j.error?j.error.message+' ('+j.error.code+')':'HTTP '+r.status);}
  return j;}
function el(tag,cls,text){var e=document.createElement(tag);if(cls){e.className=cls;}if(text!==undefined){e.textContent=text;}return e;}
function label(t){t=String(t).replace(/ /g,'\u2423').replace(/\n/g,'\u23ce').replace(/\t/g,'\u21e5');return t.length>14?t.slice(0,13)+'\u2026':t;}
function pct(p){return p>=0.001||p===0?(p*100).toFixed(1)+'%':p>=1e-6?(p*100).toPrecision(2)+'%':(p*100).toExponential(0)+'%';}
function seq(p){p=Math.max(0,Math.min(1,p));return 'rgb('+Math.round(247-p*239)+','+Math.round(251-p*203)+','+Math.round(255-p*148)+')';}
function div(v,m){var a=m>0?Math.max(-1,Math.min(1,v/m)):0,t=Math.abs(a);
  return a>=0?'rgb('+Math.round(255-t*211)+','+Math.round(255-t*93)+','+Math.round(255-t*160)+')'
             :'rgb('+Math.round(255-t*33)+','+Math.round(255-t*210)+','+Math.round(255-t*217)+')';}
function showHover(ev,text){hover.textContent=text;hover.hidden=false;
  var x=ev.clientX+14,y=ev.clientY+14;if(x+hover.offsetWidth>window.innerWidth){x=ev.clientX-14-hover.offsetWidth;}
  if(y+hover.offsetHeight>window.innerHeight){y=ev.clientY-14-hover.offsetHeight;}
  hover.style.left=Math.max(0,x)+'px';hover.style.top=Math.max(0,y)+'px';}
function hideHover(){hover.hidden=true;}
function cellAt(cv,ev,pad,cell){var r=cv.getBoundingClientRect(),sx=cv.width/r.width,sy=cv.height/r.height;
  return {i:Math.floor(((ev.clientY-r.top)*sy-pad)/cell),j:Math.floor(((ev.clientX-r.left)*sx-pad)/cell)};}
function input(){return {prompt:state.prompt};}

// ---- sampling controls: the same settings as glassbox generate's options ----
function sampling(){if(!$('sample').checked){var g={greedy:true};var rp=parseFloat($('repetition-penalty').value);
    if(rp!==1){g.repetition_penalty=rp;}return g;}
  var s={greedy:false,temperature:parseFloat($('temperature').value),top_k:parseInt($('top-k').value,10),
    top_p:parseFloat($('top-p').value),min_p:parseFloat($('min-p').value),repetition_penalty:parseFloat($('repetition-penalty').value)};
  var seed=$('seed').value.trim();if(seed!==''){s.seed=parseInt(seed,10);}return s;}
function showSliders(){sliders.forEach(function(id){var v=$(id).value;
  $(id+'-v').textContent=id==='top-k'&&v==='0'?'off':id==='top-p'&&v==='1'?'off':id==='min-p'&&v==='0'?'off':v;});}
function initSliders(d){// a greedy checkpoint samples, when asked to, with plain settings (as GenerationDefaults does)
  $('sample').checked=!d.greedy;
  $('temperature').value=d.greedy?1:d.temperature;$('top-k').value=d.greedy?0:Math.min(100,d.top_k);
  $('top-p').value=d.greedy?1:d.top_p;$('min-p').value=d.greedy?0:d.min_p;$('repetition-penalty').value=d.repetition_penalty;
  showSliders();}
var pending=null;
function onSlider(ev){if(ev&&ev.target.id!=='sample'&&ev.target.id!=='repetition-penalty'){$('sample').checked=true;}
  showSliders();if(pending){clearTimeout(pending);}pending=setTimeout(function(){pending=null;if(state.prompt!==null){guard(distribution);}},60);}

// ---- views ----
function tokens(t){var box=$('tokens');box.innerHTML='';
  t.tokens.forEach(function(k){var c=el('span','chip');c.appendChild(el('b',null,label(k.text)));
    c.appendChild(el('i',null,k.position+' \u00b7 #'+k.id));c.title=JSON.stringify(k.text)+' (id '+k.id+')';box.appendChild(c);});}

async function distribution(){var n=++state.seq;
  var d=await api('distribution',Object.assign(input(),sampling()));if(n!==state.seq){return;}
  var box=$('dist');box.innerHTML='';var kept=d.decoding.kept_count,shown=0;
  var hd=el('div','row head');['token','probability (raw)','raw','after processors'].forEach(function(h){hd.appendChild(el('span',null,h));});
  box.appendChild(hd);
  var max=d.top.length?d.top[0].prob:1;
  d.top.forEach(function(t){var r=el('div','row '+(t.survives?'survives':'removed'));r.setAttribute('data-id',t.id);r.setAttribute('data-rank',t.rank);
    if(t.id===state.target){r.classList.add('target');}
    r.appendChild(el('span','lbl',label(t.text)));var tr=el('span','track'),f=el('span','fill');f.style.width=(100*t.prob/max).toFixed(1)+'%';
    tr.appendChild(f);r.appendChild(tr);r.appendChild(el('span','num',pct(t.prob)));
    r.appendChild(el('span','surv',t.survives?(t.survivor_prob!==null?pct(t.survivor_prob):'kept'):'removed'));
    r.title=JSON.stringify(t.text)+' id '+t.id+', rank '+t.rank+', logit '+t.logit.toFixed(3);
    r.addEventListener('click',function(){state.target=t.id;markTarget();guard(explainTarget);});
    if(t.survives){shown++;}box.appendChild(r);});
  box.setAttribute('data-kept',String(shown));box.setAttribute('data-kept-count',String(kept));
  var s=d.sampling,pick=d.decoding;state.pick=pick;
  $('kept').textContent=(s.greedy?'Greedy: every token stays; the argmax is picked: ':'Sampling: '+kept+' of '+d.vocab_size+
    ' tokens survive; a draw with seed '+pick.seed+' picks ')+JSON.stringify(pick.chosen_text)+' (greedy pick '+JSON.stringify(pick.greedy_text)+
    '). Entropy '+d.entropy.toFixed(2)+' nats.';
  $('append').disabled=false;
  if(state.target===null){state.target=d.top[0].id;}}
function markTarget(){[].slice.call(document.querySelectorAll('#dist .row[data-id]')).forEach(function(r){
  r.classList.toggle('target',parseInt(r.getAttribute('data-id'),10)===state.target);});}

function layerTabs(){var box=$('layers');box.innerHTML='';
  for(var l=0;l<state.model.layers;l++){(function(l){var b=el('button',l===state.layer?'on':'','L'+l);b.type='button';b.setAttribute('data-layer',l);
    b.addEventListener('click',function(){state.layer=l;state.head=0;layerTabs();guard(attention);});box.appendChild(b);})(l);}}
function thumb(cv,m,cell){var n=m.length;cv.width=n*cell;cv.height=n*cell;var c=cv.getContext('2d');c.fillStyle='#fff';c.fillRect(0,0,cv.width,cv.height);
  for(var i=0;i<n;i++){for(var j=0;j<=i;j++){c.fillStyle=seq(m[i][j]);c.fillRect(j*cell,i*cell,cell,cell);}}}
function describe(a,h,i,j){return 'layer '+a.layer+', head '+h+'\nposition '+i+' '+label(a.tokens[i])+' reads position '+j+' '+label(a.tokens[j])+
  ': '+pct(a.patterns[h].pattern[i][j]);}
async function attention(){var a=await api('attention',Object.assign(input(),{layer:state.layer}));state.attention=a;
  var box=$('heads');box.innerHTML='';var n=a.tokens.length,cell=Math.max(2,Math.min(10,Math.floor(96/Math.max(1,n))));
  a.patterns.forEach(function(p){var h=p.head,b=el('div','hm'+(h===state.head?' sel':'')),cv=el('canvas');
    cv.setAttribute('data-layer',a.layer);cv.setAttribute('data-head',h);cv.setAttribute('aria-label','attention of layer '+a.layer+' head '+h);
    thumb(cv,p.pattern,cell);b.appendChild(cv);b.appendChild(el('span',null,'L'+a.layer+' H'+h));
    cv.addEventListener('mousemove',function(ev){var c=cellAt(cv,ev,0,cell);if(c.i>=0&&c.j>=0&&c.i<n&&c.j<=c.i){showHover(ev,describe(a,h,c.i,c.j));}else{hideHover();}});
    cv.addEventListener('mouseleave',hideHover);
    b.addEventListener('click',function(){state.head=h;[].slice.call(box.children).forEach(function(x){x.classList.remove('sel');});b.classList.add('sel');guard(headDetail);});
    box.appendChild(b);});
  await headDetail();}
// One head from the API (layer and head), drawn large with the tokens along both axes.
async function headDetail(){var l=state.layer,h=state.head,r=await api('attention',Object.assign(input(),{layer:l,head:h}));
  if(l!==state.layer||h!==state.head)return; // another head was chosen while this one was fetched: its answer is stale
  var p=r.patterns[0],m=p.pattern,toks=r.tokens,n=toks.length,cv=$('head-canvas');
  var cell=Math.max(10,Math.min(28,Math.floor(560/Math.max(1,n)))),pad=110;
  cv.width=pad+n*cell+10;cv.height=pad+n*cell+10;var c=cv.getContext('2d');c.fillStyle='#fff';c.fillRect(0,0,cv.width,cv.height);
  c.font='11px sans-serif';c.fillStyle='#1b1f24';c.textBaseline='middle';
  for(var i=0;i<n;i++){var t=label(toks[i]);c.textAlign='right';c.fillText(t+' '+i,pad-4,pad+i*cell+cell/2);
    c.save();c.translate(pad+i*cell+cell/2,pad-4);c.rotate(-Math.PI/2);c.textAlign='left';c.fillText(i+' '+t,0,0);c.restore();}
  for(var q=0;q<n;q++){for(var k=0;k<=q;k++){c.fillStyle=seq(m[q][k]);c.fillRect(pad+k*cell,pad+q*cell,cell-1,cell-1);
    if(cell>=24){c.fillStyle=m[q][k]>0.55?'#fff':'#333';c.textAlign='center';c.fillText(Math.round(m[q][k]*100),pad+k*cell+cell/2,pad+q*cell+cell/2);}}}
  $('head-title').textContent='Layer '+l+', head '+h+': row = query (reading), column = key (read)';
  $('head-title').setAttribute('data-layer',l);$('head-title').setAttribute('data-head',h);
  $('head-sources').textContent='The last position ('+label(toks[n-1])+') reads most from: '+p.sources.map(function(s){
    return s.position+' '+label(s.token)+' '+pct(s.weight);}).join(', ')+'.';
  var a={layer:l,tokens:toks,patterns:{}};a.patterns[h]=p;
  cv.onmousemove=function(ev){var z=cellAt(cv,ev,pad,cell);if(z.i>=0&&z.j>=0&&z.i<n&&z.j<=z.i){showHover(ev,describe(a,h,z.i,z.j));}else{hideHover();}};
  cv.onmouseleave=hideHover;}

async function lens(){var r=await api('lens',Object.assign(input(),{target_id:state.target}));
  var t=$('lens');t.innerHTML='';var n=r.tokens.length,head=el('thead'),tr=el('tr');tr.appendChild(el('th',null,'stage'));
  r.tokens.forEach(function(k,i){var th=el('th');th.appendChild(el('span','pos',String(i)));th.appendChild(document.createTextNode(label(k)));tr.appendChild(th);});
  var tg=el('th','tgt','p('+label(r.target)+')');tr.appendChild(tg);head.appendChild(tr);t.appendChild(head);
  var tb=el('tbody');
  r.stages.forEach(function(s,si){var row=el('tr');row.appendChild(el('th',null,s));
    r.cells[si].forEach(function(cell,i){var top=cell.top[0],td=el('td');td.style.background=seq(top.prob);td.style.color=top.prob>0.55?'#fff':'#1b1f24';
      td.appendChild(document.createTextNode(label(top.text)));td.appendChild(el('small',null,pct(top.prob)));
      td.title=r.hooks[si]+' at position '+i+' ('+label(r.tokens[i])+'): '+cell.top.map(function(x){return label(x.text)+' '+pct(x.prob);}).join(', ');
      row.appendChild(td);});
    var p=r.target_probs[si],td2=el('td','tgt');td2.style.background=seq(p);td2.style.color=p>0.55?'#fff':'#1b1f24';
    td2.appendChild(document.createTextNode(pct(p)));td2.appendChild(el('small',null,'rank '+r.target_ranks[si]));row.appendChild(td2);tb.appendChild(row);});
  t.appendChild(tb);t.setAttribute('data-stages',String(r.stages.length));$('lens-target').textContent=label(r.target);}

async function attribution(){var r=await api('attribution',Object.assign(input(),{target_id:state.target}));
  $('dla-target').textContent=label(r.target);
  $('dla-sum').textContent='logit '+r.logit.toFixed(3)+' = sum of the terms '+r.sum.toFixed(3)+' (final-norm scale '+r.scale.toFixed(3)+')';
  var rows=[['embedding',r.embedding]];
  r.layers.forEach(function(l){rows.push(['L'+l.layer+' attention',l.attention]);rows.push(['L'+l.layer+' MLP',l.mlp]);});
  r.terms.forEach(function(t){if(t.kind==='NORM_BIAS'){rows.push([t.name,t.value]);}});
  var m=Math.max.apply(null,rows.map(function(x){return Math.abs(x[1]);}))||1,box=$('dla-bars');box.innerHTML='';
  rows.forEach(function(x){var d=el('div','dla');d.appendChild(el('span','name',x[0]));var ax=el('span','axis'),b=el('span',x[1]>=0?'pos':'neg');
    b.style.width=(50*Math.abs(x[1])/m).toFixed(1)+'%';ax.appendChild(b);d.appendChild(ax);d.appendChild(el('span','num',x[1].toFixed(3)));box.appendChild(d);});
  var hm=0;r.layers.forEach(function(l){l.heads.forEach(function(v){hm=Math.max(hm,Math.abs(v));});});
  var t=$('dla-heads');t.innerHTML='';var th=el('thead'),tr=el('tr');tr.appendChild(el('th',null,'layer'));
  (r.layers[0]?r.layers[0].heads:[]).forEach(function(v,h){tr.appendChild(el('th',null,'H'+h));});th.appendChild(tr);t.appendChild(th);
  var tb=el('tbody');r.layers.forEach(function(l){var row=el('tr');row.appendChild(el('th',null,'L'+l.layer));
    l.heads.forEach(function(v,h){var td=el('td',null,v.toFixed(2));td.style.background=div(v,hm);td.title='layer '+l.layer+', head '+h+': '+v.toFixed(4);row.appendChild(td);});
    tb.appendChild(row);});t.appendChild(tb);
  $('dla-min').textContent=(-hm).toFixed(2);$('dla-max').textContent='+'+hm.toFixed(2);}

async function explainTarget(){await lens();await attribution();}

// ---- running ----
async function guard(f){setState('busy','working…');
  try{await f();setState('ready','');}catch(e){setState('error',e.message,true);}}
async function run(){state.prompt=$('prompt').value;state.target=null;
  var t=await api('tokens',input());tokens(t);
  await distribution();await attention();await explainTarget();}

// ---- patching: /api/patch, the sweeps of dev.glassbox.patching ----
function patchTable(title,rows,labels,positions){var w=el('div');w.appendChild(el('h3',null,title));
  var sc=el('div','scroll'),t=el('table','grid'),th=el('thead'),tr=el('tr');tr.appendChild(el('th',null,''));
  positions.forEach(function(p,i){var c=el('th');c.appendChild(el('span','pos',String(i)));c.appendChild(document.createTextNode(label(p)));tr.appendChild(c);});
  th.appendChild(tr);t.appendChild(th);var tb=el('tbody');
  rows.forEach(function(r,ri){var row=el('tr');row.appendChild(el('th',null,labels[ri]));
    r.forEach(function(v,i){var td=el('td',null,v===null?'\u2013':v.toFixed(2));td.style.background=v===null?'#fff':div(v,1);
      td.title=title+', '+labels[ri]+', position '+i+' ('+label(positions[i])+'): '+(v===null?'n/a':v.toFixed(4));row.appendChild(td);});
    tb.appendChild(row);});t.appendChild(tb);sc.appendChild(t);w.appendChild(sc);return w;}
async function patch(){var req={clean:$('patch-clean').value,corrupt:$('patch-corrupt').value};
  var tg=$('patch-target').value,bl=$('patch-baseline').value;if(tg!==''){req.target=tg;}if(bl!==''){req.baseline=bl;}
  $('patch-status').textContent='sweeping…';
  try{var r=await api('patch',req);}finally{$('patch-status').textContent='';}
  $('patch-summary').textContent='metric logit('+JSON.stringify(r.target)+') \u2212 logit('+JSON.stringify(r.baseline)+'): clean '+
    r.clean_metric.toFixed(3)+', corrupt '+r.corrupt_metric.toFixed(3);
  var box=$('patch-grids');box.innerHTML='';var n=r.normalized,L=[];for(var l=0;l<r.layers;l++){L.push('L'+l);}
  var names={resid_pre:'residual stream before each layer (resid_pre)',attn_out:'attention output (attn_out)',mlp_out:'MLP output (mlp_out)'};
  ['resid_pre','attn_out','mlp_out'].forEach(function(g){if(n[g]){box.appendChild(patchTable(names[g],n[g],L,r.positions));}});
  var h=n.attn_head_out_by_pos;if(h){var rows=[],labs=[];h.forEach(function(layer,l){layer.forEach(function(v,hd){rows.push(v);labs.push('L'+l+' H'+hd);});});
    box.appendChild(patchTable('each head\'s output (attn_head_out_by_pos)',rows,labs,r.positions));}
  box.setAttribute('data-grids',String(box.children.length));}
$('patch-form').addEventListener('submit',function(ev){ev.preventDefault();guard(patch);});
$('prompt-form').addEventListener('submit',function(ev){ev.preventDefault();guard(run);});
$('append').addEventListener('click',function(){if(state.pick){$('prompt').value=$('prompt').value+state.pick.chosen_text;guard(run);}});
sliders.concat(['sample','seed']).forEach(function(id){$(id).addEventListener('input',onSlider);});
window.addEventListener('error',function(e){setState('error','script error: '+(e.message||e),true);});
guard(async function(){var d=await api('model');var m=d.model;state.model=m;
  $('model-line').textContent=m.name+' \u00b7 '+m.model_type+' \u00b7 '+m.layers+' layers \u00d7 '+m.heads+' heads \u00b7 d='+m.hidden_size+
    ' \u00b7 vocab '+m.vocab_size+' \u00b7 context '+m.context_length+' (up to '+d.max_prompt_tokens+' tokens here)';
  initSliders(d.sampling_defaults);layerTabs();});
})();
